package dev.mlscale.notebook;

import java.time.Instant;

/**
 * A notebook as {@code notebook ls} shows it, the same on every target.
 *
 * @param state Running, Starting, Stopped, Culled or Failed
 * @param url where it listens (without the token), or "" when it does not run
 * @param workspace the workspace directory (this machine) or claim (cluster)
 * @param reason why it is in that state, in words
 */
public record NotebookView(
    String name,
    String user,
    String state,
    String url,
    Instant started,
    String workspace,
    String reason) {}
