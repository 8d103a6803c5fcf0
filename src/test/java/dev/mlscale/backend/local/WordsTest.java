package dev.mlscale.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WordsTest {
  @Test
  void splitsLikeAShellButExpandsNothing() {
    assertThat(Words.split("pip install -r 'my reqs.txt' \"a\\\"b\" $HOME *.py"))
        .containsExactly("pip", "install", "-r", "my reqs.txt", "a\"b", "$HOME", "*.py");
    assertThat(Words.split("  ")).isEmpty();
    assertThat(Words.split("echo ''")).containsExactly("echo", "");
  }

  @Test
  void unclosedQuoteIsAnError() {
    assertThatThrownBy(() -> Words.split("echo 'oops")).hasMessageContaining("unclosed quote");
  }
}
