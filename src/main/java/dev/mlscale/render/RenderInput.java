package dev.mlscale.render;

import dev.mlscale.plan.RunPlan;

/** Everything rendering needs; rendering itself reads nothing else. */
public record RenderInput(RunPlan plan, String namespace, CodeArchive code, byte[] helperSource) {}
