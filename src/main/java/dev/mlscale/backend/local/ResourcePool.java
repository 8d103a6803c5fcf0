package dev.mlscale.backend.local;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.Resources;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * The CPU, memory and GPUs of this machine, handed out to jobs first come, first served, so that
 * jobs started together wait for each other rather than oversubscribe the machine. A job that could
 * never fit is refused at once.
 */
public final class ResourcePool {
  private final Capacity capacity;
  private long freeCpu;
  private long freeMemory;
  private int freeGpus;
  private final Deque<Object> queue = new ArrayDeque<>();

  public ResourcePool(Capacity capacity) {
    this.capacity = capacity;
    this.freeCpu = capacity.cpuMillis();
    this.freeMemory = capacity.memoryBytes();
    this.freeGpus = capacity.gpus();
  }

  public Capacity capacity() {
    return capacity;
  }

  /** Refuses a job that asks for more than the whole machine has. */
  public void checkFits(String job, Resources r) {
    checkFits(job, r, 1);
  }

  /**
   * Refuses a job whose {@code workers} (a distributed run's gang, each with {@code r}) need more
   * than the whole machine has: a gang starts all its workers or none.
   */
  public void checkFits(String job, Resources r, int workers) {
    Map<String, String> missing = tooBig(r.times(workers));
    if (!missing.isEmpty()) {
      throw new UserError(
          "job '"
              + job
              + "' asks for more than this machine has ("
              + (workers > 1 ? "its " + workers + " workers together need " : "")
              + String.join(" ", missing.values())
              + "; the machine has "
              + capacity
              + "); lower its resources"
              + (workers > 1 ? " or distributed.workers" : "")
              + " or run it with --target k8s");
    }
  }

  /**
   * What of {@code r} this machine can never give, by field (cpu, memory, gpus), e.g. {@code cpu ->
   * "cpu 64 > 8.0"}; empty when it fits.
   */
  public Map<String, String> tooBig(Resources r) {
    Map<String, String> missing = new java.util.LinkedHashMap<>();
    if (r.cpu().millis() > capacity.cpuMillis()) {
      missing.put("cpu", "cpu " + r.cpu() + " > " + capacity.cpuMillis() / 1000.0);
    }
    if (memoryOf(r) > capacity.memoryBytes()) {
      missing.put(
          "memory", "memory " + r.memory() + " > " + MemorySize.human(capacity.memoryBytes()));
    }
    if (r.gpus() > capacity.gpus()) {
      missing.put("gpus", "gpus " + r.gpus() + " > " + capacity.gpus());
    }
    return missing;
  }

  /** Whether the resources are free right now, without waiting. */
  public synchronized boolean isFreeNow(Resources r) {
    return queue.isEmpty() && fitsNow(r);
  }

  /** Blocks until the resources are free; jobs are served in the order they asked. */
  public void acquire(Resources r) throws InterruptedException {
    acquire(r, () -> {});
  }

  /**
   * Like {@link #acquire(Resources)}; {@code onWait} runs once, before waiting, when the resources
   * are not free at once (to tell the user why the job does not start).
   */
  public void acquire(Resources r, Runnable onWait) throws InterruptedException {
    Object ticket = new Object();
    synchronized (this) {
      queue.addLast(ticket);
      try {
        boolean told = false;
        while (queue.peekFirst() != ticket || !fitsNow(r)) {
          if (!told) {
            told = true;
            onWait.run();
          }
          wait();
        }
      } catch (InterruptedException e) {
        queue.remove(ticket);
        notifyAll();
        throw e;
      }
      queue.removeFirst();
      freeCpu -= r.cpu().millis();
      freeMemory -= memoryOf(r);
      freeGpus -= r.gpus();
      notifyAll();
    }
  }

  public synchronized void release(Resources r) {
    freeCpu += r.cpu().millis();
    freeMemory += memoryOf(r);
    freeGpus += r.gpus();
    notifyAll();
  }

  private boolean fitsNow(Resources r) {
    return r.cpu().millis() <= freeCpu && memoryOf(r) <= freeMemory && r.gpus() <= freeGpus;
  }

  private static long memoryOf(Resources r) {
    return r.memory() == null ? 0 : r.memory().bytes();
  }
}
