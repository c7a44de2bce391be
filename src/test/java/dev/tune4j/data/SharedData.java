package dev.tune4j.data;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shared real data sets (not part of the product): {@code ../shared/data} beside the project,
 * else the folder named by the {@code TUNE4J_SHARED} system property or environment variable
 * (the shared folder or its {@code data} folder). Tests skip, visibly, when a file is absent.
 */
public final class SharedData {
    private SharedData() {}

    public static Path find(String file) {
        Path local = Path.of("..", "shared", "data", file);
        if (Files.isRegularFile(local)) return local;
        String env = System.getProperty("TUNE4J_SHARED", System.getenv("TUNE4J_SHARED"));
        if (env != null) {
            for (Path p : new Path[] {Path.of(env, "data", file), Path.of(env, file)}) if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** The file, or a skipped test with a printed reason. */
    public static Path require(String file) {
        Path p = find(file);
        if (p == null) {
            String msg = "SKIPPED: shared data file " + file + " not found in ../shared/data or $TUNE4J_SHARED";
            System.out.println(msg);
            assumeTrue(false, msg);
        }
        return p;
    }
}
