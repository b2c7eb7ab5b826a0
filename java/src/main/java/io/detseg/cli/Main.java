package io.detseg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `detseg` command line. */
@Command(name = "detseg", mixinStandardHelpOptions = true, version = "detseg 0.1.0",
    description = "Hand-written CUDA and CPU kernels for detection and segmentation.",
    subcommands = {DevicesCommand.class, OpCommand.class, SelfCheckCommand.class, DetectCommand.class, ModelsCommand.class, BenchCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
          || ex instanceof io.detseg.backend.cuda.CudaException || ex instanceof java.io.IOException) {
        cmd.getErr().println("detseg: " + ex.getMessage());
        return 2;
      }
      throw ex;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
