package io.detseg.backend.cuda;

import java.util.List;

/**
 * How the simulator runs launches. The defaults are strict (two thread schedules compared bitwise,
 * poisoned shared memory, redzones around every allocation), because the simulator's job is to find
 * kernel bugs; benchmarks that time the simulator itself use {@link #fast()}.
 *
 * @param workers OS threads running blocks (0 = one per core)
 * @param seed block-order and shuffled-schedule seed
 * @param schedules thread orders each launch is run under; outputs must be identical
 * @param poisonShared fill shared memory with NaN bytes at block start
 * @param checkRedzones check the guard bytes around every allocation after each launch
 * @param racecheckGlobal run blocks one at a time and report words two blocks change without atomics
 */
public record SimOptions(int workers, long seed, List<Schedule> schedules, boolean poisonShared,
    boolean checkRedzones, boolean racecheckGlobal) {

  /** The order in which the threads of a block run between barriers. */
  public enum Schedule { FORWARD, REVERSED, SHUFFLED }

  public SimOptions {
    if (schedules.isEmpty()) {
      throw new IllegalArgumentException("SimOptions: expected at least one schedule but got none");
    }
    if (workers < 0) {
      throw new IllegalArgumentException("SimOptions: expected workers >= 0 but got " + workers);
    }
    schedules = List.copyOf(schedules);
  }

  /** Forward and reversed thread order compared on every launch, poison and redzones on. */
  public static SimOptions strict() {
    return new SimOptions(0, 0x5eedL, List.of(Schedule.FORWARD, Schedule.REVERSED), true, true, false);
  }

  /** One schedule, no poison: the cheapest way to run kernels in the simulator. */
  public static SimOptions fast() {
    return new SimOptions(0, 0x5eedL, List.of(Schedule.FORWARD), false, true, false);
  }

  public SimOptions withSchedules(Schedule... s) {
    return new SimOptions(workers, seed, List.of(s), poisonShared, checkRedzones, racecheckGlobal);
  }

  public SimOptions withRacecheckGlobal(boolean on) {
    return new SimOptions(workers, seed, schedules, poisonShared, checkRedzones, on);
  }

  public SimOptions withSeed(long s) {
    return new SimOptions(workers, s, schedules, poisonShared, checkRedzones, racecheckGlobal);
  }

  public SimOptions withWorkers(int w) {
    return new SimOptions(w, seed, schedules, poisonShared, checkRedzones, racecheckGlobal);
  }
}
