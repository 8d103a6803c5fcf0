package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.function.Consumer;

/** Informer handlers for the common cases, so a watch says only what it does with an object. */
final class Handlers {
  private Handlers() {}

  /** Calls {@code seen} with each object added or changed; deletions are not reported. */
  static <T> ResourceEventHandler<T> onAddOrUpdate(Consumer<T> seen) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        seen.accept(obj);
      }

      @Override
      public void onUpdate(T old, T obj) {
        seen.accept(obj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  /** Runs {@code changed} after every add, change and deletion (to recompute from the stores). */
  static <T> ResourceEventHandler<T> onAnyChange(Runnable changed) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed.run();
      }

      @Override
      public void onUpdate(T old, T obj) {
        changed.run();
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        changed.run();
      }
    };
  }
}
