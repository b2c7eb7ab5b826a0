package io.detseg.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Frees the temporaries made inside it. Every tensor created on this thread while a scope is open
 * belongs to the innermost scope; closing the scope closes them all, except those handed out with
 * {@link #keep}, which move to the enclosing scope (or to nobody, if this is the outermost).
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *   Tensor t = Ops.relu(x);            // freed when the scope closes
 *   return scope.keep(Ops.sum(t));     // survives it
 * }
 * }</pre>
 */
public final class Scope implements AutoCloseable {
  private static final ThreadLocal<Deque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

  private final List<Tensor> owned = new ArrayList<>();
  private final Thread thread = Thread.currentThread();
  private boolean closed;

  private Scope() {}

  public static Scope open() {
    Scope s = new Scope();
    STACK.get().push(s);
    return s;
  }

  /** Moves {@code t} out of this scope to the enclosing one; returns it for chaining. */
  public Tensor keep(Tensor t) {
    if (!owned.remove(t)) {
      throw new IllegalArgumentException("Scope.keep: the tensor " + t + " does not belong to this scope");
    }
    Deque<Scope> stack = STACK.get();
    Scope parent = null;
    boolean seenSelf = false;
    for (Scope s : stack) { // iterates innermost first
      if (seenSelf) {
        parent = s;
        break;
      }
      seenSelf = s == this;
    }
    if (parent != null) {
      parent.owned.add(t);
    }
    return t;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException("Scope.close: a scope must be closed on the thread that opened it");
    }
    Deque<Scope> stack = STACK.get();
    if (stack.peek() != this) {
      throw new IllegalStateException("Scope.close: scopes must be closed innermost first");
    }
    stack.pop();
    closed = true;
    RuntimeException first = null;
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    owned.clear();
    if (first != null) {
      throw first;
    }
  }

  static void register(Tensor t) {
    Scope s = STACK.get().peek();
    if (s != null) {
      s.owned.add(t);
    }
  }
}
