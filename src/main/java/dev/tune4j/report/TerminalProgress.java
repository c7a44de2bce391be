package dev.tune4j.report;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A live bar (me.tongfei progressbar) redrawn in place on a terminal, with the ETA from the mean step time.
 * The single-line consumer (carriage return, no cursor movement) lets {@link #message} clear the line,
 * print, and leave the bar to be redrawn below at the next tick.
 */
final class TerminalProgress implements TrainingProgress {
    private static final String CLEAR_LINE = "\r\u001b[2K";
    private final PrintStream out;
    private ProgressBar bar;

    TerminalProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void start(long totalSteps) {
        bar = new ProgressBarBuilder()
                .setTaskName("train")
                .setInitialMax(totalSteps)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setConsumer(new ConsoleProgressBarConsumer(out))
                .setUpdateIntervalMillis(500)
                .continuousUpdate() // the clock and ETA move between steps too
                .build();
    }

    @Override
    public void step(long step, double loss, double tokensPerSecond) {
        bar.setExtraMessage(LineProgress.lossAndSpeed(loss, tokensPerSecond));
        bar.stepTo(step);
    }

    @Override
    public void message(String line) {
        out.print(CLEAR_LINE + line + System.lineSeparator()); // one print: the bar's thread cannot cut in mid-line
        out.flush();
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
