package dev.mlscale.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON columns of the store. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static <V> Map<String, V> readMap(String json, TypeReference<LinkedHashMap<String, V>> type) {
    if (json == null || json.isEmpty()) {
      return Map.of();
    }
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      return Map.of();
    }
  }

  static Map<String, Object> readObjectMap(String json) {
    return readMap(json, new TypeReference<>() {});
  }

  static Map<String, Double> readDoubleMap(String json) {
    return readMap(json, new TypeReference<>() {});
  }
}
