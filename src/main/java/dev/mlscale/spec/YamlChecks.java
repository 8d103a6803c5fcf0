package dev.mlscale.spec;

import dev.mlscale.error.SourcePosition;
import dev.mlscale.error.UserError;
import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

/**
 * What YAML allows but a spec must not silently misread, checked on the parser's events before the
 * spec is read: a key given twice in one mapping (the last would win and the first be lost) is
 * refused with both positions; an alias ({@code *name}) is refused, because the reader would take
 * it for the plain string "name"; a file too big or not text is refused before parsing.
 */
final class YamlChecks {
  /** Larger than any spec a person writes; parameter tables belong in files of their own. */
  static final int MAX_BYTES = 1 << 20;

  private YamlChecks() {}

  /** Checks raw file content before it is decoded. */
  static void checkBytes(byte[] content, String file) {
    if (content.length > MAX_BYTES) {
      throw new UserError(
          new SourcePosition(file, 1, 1),
          "the spec is "
              + content.length
              + " bytes, more than the "
              + MAX_BYTES
              + " a spec may have; put large tables (rows, params) in files the job reads");
    }
    for (int i = 0; i < content.length; i++) {
      if (content[i] == 0) {
        throw new UserError(
            new SourcePosition(file, 1, 1),
            "this is not a text file (it holds a NUL byte at offset "
                + i
                + "); a spec is YAML text");
      }
    }
    var decoder =
        java.nio.charset.StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    var in = java.nio.ByteBuffer.wrap(content);
    if (decoder.decode(in, java.nio.CharBuffer.allocate(content.length), true).isError()) {
      throw new UserError(
          byteAt(file, content, in.position()),
          "this is not a UTF-8 text file (the byte here is not UTF-8); save the spec as UTF-8"
              + " YAML");
    }
  }

  /** The line and column of the byte at {@code offset} (columns count bytes). */
  private static SourcePosition byteAt(String file, byte[] content, int offset) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < offset; i++) {
      if (content[i] == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new SourcePosition(file, line, offset - lineStart + 1);
  }

  /**
   * Refuses duplicate keys, aliases and a second document ({@code ---}: only the first would be
   * read), with their positions. Syntax errors are left alone.
   */
  static void check(String text, String file) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true); // found here, with both positions
    ParserImpl parser = new ParserImpl(new StreamReader(new StringReader(text)), options);
    Deque<Frame> frames = new ArrayDeque<>();
    int documents = 0;
    try {
      while (parser.peekEvent() != null) {
        Event e = parser.getEvent();
        if (e.is(Event.ID.DocumentStart) && ++documents > 1) {
          throw new UserError(
              position(file, e.getStartMark()),
              "a second YAML document starts here, so the file holds more than one YAML document"
                  + " and only the first would be read; one spec per file: split it");
        }
        if (e instanceof AliasEvent a) {
          throw new UserError(
              position(file, a.getStartMark()),
              "'*"
                  + a.getAnchor()
                  + "' is a YAML alias; mlscale does not expand aliases (it would read the text '"
                  + a.getAnchor()
                  + "'): write the value out");
        }
        Frame top = frames.peek();
        switch (e.getEventId()) {
          case MappingStart -> {
            valueDone(top);
            frames.push(new Frame(true));
          }
          case SequenceStart -> {
            valueDone(top);
            frames.push(new Frame(false));
          }
          case MappingEnd, SequenceEnd -> frames.pop();
          case Scalar -> {
            ScalarEvent s = (ScalarEvent) e;
            if (top != null && top.mapping && top.expectingKey) {
              Mark first = top.keys.putIfAbsent(s.getValue(), s.getStartMark());
              if (first != null) {
                throw new UserError(
                    position(file, s.getStartMark()),
                    "the key '"
                        + s.getValue()
                        + "' is given twice in the same mapping (first at "
                        + (first.getLine() + 1)
                        + ":"
                        + (first.getColumn() + 1)
                        + "); YAML would keep only the last one: merge them into one");
              }
              top.expectingKey = false;
            } else {
              valueDone(top);
            }
          }
          default -> {}
        }
        if (e.is(Event.ID.StreamEnd)) {
          break;
        }
      }
    } catch (YAMLException e) {
      // A syntax error: the reader reports it with its position.
    }
  }

  private static void valueDone(Frame top) {
    if (top != null && top.mapping) {
      top.expectingKey = true;
    }
  }

  private static SourcePosition position(String file, Mark m) {
    return new SourcePosition(file, m.getLine() + 1, m.getColumn() + 1);
  }

  private static final class Frame {
    final boolean mapping;
    boolean expectingKey;
    final Map<String, Mark> keys = new HashMap<>();

    Frame(boolean mapping) {
      this.mapping = mapping;
      this.expectingKey = mapping;
    }
  }
}
