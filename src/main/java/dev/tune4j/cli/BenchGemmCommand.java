package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "gemm", mixinStandardHelpOptions = true, description = "GEMM throughput (GFLOP/s) for each layout.")
public final class BenchGemmCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'gemm' is not implemented yet");
    }
}
