package dev.mlscale.store;

import dev.mlscale.error.NotFoundError;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The JDBC the stores share: statements with their {@code ?} bound in order (an {@link Instant} as
 * epoch milliseconds, null as SQL NULL), a query's rows mapped to records, and the nullable columns
 * read as null.
 */
final class Sql {
  private Sql() {}

  /** Maps the current row of a result to a value. */
  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** Runs one INSERT, UPDATE or DELETE; says how many rows it changed. */
  static int exec(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      return ps.executeUpdate();
    }
  }

  /** Runs a query and maps each row, in the order the query gives them. */
  static <T> List<T> query(Connection c, String sql, Row<T> row, Object... args)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(row.map(rs));
        }
      }
      return out;
    }
  }

  /**
   * Of the records a lookup by id or id prefix found, the one with exactly that id, else the only
   * one; none or several is a {@link NotFoundError} that says what to do ({@code hint} when none).
   */
  static <T> T one(
      List<T> found, Function<T, String> id, String idOrPrefix, String kind, String hint) {
    for (T r : found) {
      if (id.apply(r).equals(idOrPrefix)) {
        return r;
      }
    }
    if (found.size() != 1) {
      throw new NotFoundError(
          kind, idOrPrefix, found.isEmpty() ? hint : "it matches several; give more of the id");
    }
    return found.get(0);
  }

  static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a instanceof Instant t) {
        ps.setLong(i + 1, t.toEpochMilli());
      } else if (a == null) {
        ps.setNull(i + 1, Types.NULL);
      } else {
        ps.setObject(i + 1, a);
      }
    }
  }

  static Instant instant(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  static Long longOrNull(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : v;
  }

  static Integer integer(ResultSet rs, String col) throws SQLException {
    int v = rs.getInt(col);
    return rs.wasNull() ? null : v;
  }

  static Double doubleOrNull(ResultSet rs, String col) throws SQLException {
    double v = rs.getDouble(col);
    return rs.wasNull() ? null : v;
  }
}
