# Sourced by ./tune4j, ./run-tests and .ci/run: sets JAVA_HOME to a JDK >= 25 or exits with a message.
# Order: $JAVA_HOME, the java on PATH, then the usual install folders.
tune4j_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
tune4j_find_jdk() {
  local candidates=() c m
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")"); candidates+=("$c")
  fi
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    m=$(tune4j_java_major "$c")
    if [ -n "$m" ] && [ "$m" -ge 25 ]; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  echo "tune4j: no JDK 25 or newer found (looked at \$JAVA_HOME, java on PATH, /usr/lib/jvm, /opt/java, ~/.sdkman)." >&2
  echo "tune4j: install a JDK >= 25 (e.g. Eclipse Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}
tune4j_find_jdk || exit 1
