package dev.mlscale.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.CpuQuantity;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.Resources;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ResourcePoolTest {
  private final ResourcePool pool = new ResourcePool(new Capacity(2000, 4L << 30, 1));

  private static Resources res(String cpu, String memory, int gpus) {
    return new Resources(CpuQuantity.parse(cpu), MemorySize.parse(memory), gpus);
  }

  @Test
  void refusesAJobBiggerThanTheMachineWithTheFix() {
    assertThatThrownBy(() -> pool.checkFits("big", res("1", "8Gi", 2)))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("job 'big' asks for more than this machine has")
        .hasMessageContaining("memory 8Gi > 4.0 GiB")
        .hasMessageContaining("gpus 2 > 1")
        .hasMessageContaining("--target k8s");
  }

  @Test
  void secondJobWaitsUntilTheFirstReleasesItsGpu() throws Exception {
    Resources gpuJob = res("500m", "1Gi", 1);
    pool.acquire(gpuJob);
    assertThat(pool.isFreeNow(gpuJob)).isFalse();
    CountDownLatch started = new CountDownLatch(1);
    Thread waiter =
        new Thread(
            () -> {
              try {
                pool.acquire(gpuJob);
                started.countDown();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    waiter.start();
    assertThat(started.await(200, TimeUnit.MILLISECONDS)).isFalse();
    pool.release(gpuJob);
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void servesJobsInTheOrderTheyAsked() throws Exception {
    Resources whole = res("2", "1Gi", 0);
    pool.acquire(whole);
    List<String> order = new CopyOnWriteArrayList<>();
    Thread big = new Thread(() -> take(whole, "big", order));
    Thread small = new Thread(() -> take(res("1", "1Gi", 0), "small", order));
    big.start();
    while (big.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    small.start();
    while (small.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    pool.release(whole);
    big.join(5000);
    assertThat(order).containsExactly("big");
    pool.release(whole);
    small.join(5000);
    assertThat(order).containsExactly("big", "small");
  }

  private void take(Resources r, String name, List<String> order) {
    try {
      pool.acquire(r);
      order.add(name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
