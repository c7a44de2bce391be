package dev.tune4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.MeetOrSlice;
import org.jfree.svg.PreserveAspectRatio;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * Line charts against the training step, drawn by JFreeChart onto JFreeSVG's {@code Graphics2D} and
 * returned as an inline {@code <svg>} element that scales with the page (viewBox, no fixed size).
 */
final class Charts {
    static final Color BLUE = new Color(0x2f6fd6), ORANGE = new Color(0xd65a31), GREEN = new Color(0x3a9d5d);
    static final Color FAINT_BLUE = new Color(0x2f, 0x6f, 0xd6, 0x50);
    private static final int WIDTH = 560, HEIGHT = 300;

    static {
        // A report never needs a display; without this, AWT may try to reach one (or show a Dock icon on macOS).
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final StandardChartTheme THEME = theme();

    private Charts() {}

    /** One line on a chart: {@code y[i]} at step {@code x[i]}; {@code dots} marks each point (sparse series). */
    record Line(String name, double[] x, double[] y, Color color, float width, boolean dots) {}

    /**
     * A chart of {@code lines} against the step, with a dashed line at {@code bestStep} (NaN for none).
     * {@code id} names the element and prefixes its clip-path ids, so several charts can share one page.
     */
    static String svg(String id, String title, String yLabel, List<Line> lines, double bestStep) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        renderer.setDrawSeriesLineAsPath(true); // one <path> per line, not one element per segment
        for (int i = 0; i < lines.size(); i++) {
            Line line = lines.get(i);
            XYSeries series = new XYSeries(line.name(), false, true);
            for (int p = 0; p < line.x().length; p++) series.add(line.x()[p], line.y()[p]);
            data.addSeries(series);
            renderer.setSeriesPaint(i, line.color());
            renderer.setSeriesStroke(i, new BasicStroke(line.width(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            renderer.setSeriesShapesVisible(i, line.dots());
            renderer.setSeriesShape(i, new Ellipse2D.Double(-3, -3, 6, 6));
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "step", yLabel, data);
        THEME.apply(chart);
        XYPlot plot = chart.getXYPlot();
        plot.setRenderer(renderer);
        plot.setDomainGridlineStroke(new BasicStroke(0.6f));
        plot.setRangeGridlineStroke(new BasicStroke(0.6f));
        NumberAxis x = (NumberAxis) plot.getDomainAxis(), y = (NumberAxis) plot.getRangeAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(true); // every chart spans the run from step 0, so they line up
        y.setAutoRangeIncludesZero(false);
        y.setNumberFormatOverride(new DecimalFormat("0.########")); // 0.0004, not 4E-4
        // A flat line (a constant learning rate) would otherwise get a range of 1e-8 and ticks that all read the same.
        y.setAutoRangeMinimumSize(Math.max(0.1 * largest(lines), 1e-12));
        if (!Double.isNaN(bestStep)) plot.addDomainMarker(bestMarker(bestStep));

        SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        g.setDefsKeyPrefix(id + "-");
        g.setGeomDoubleConverter(v -> String.format(Locale.ROOT, "%.1f", v)); // a tenth of a pixel is plenty
        chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
        return g.getSVGElement(id, false, new ViewBox(0, 0, WIDTH, HEIGHT), PreserveAspectRatio.XMID_YMID, MeetOrSlice.MEET);
    }

    /**
     * Bias-corrected exponential moving average (as TensorBoard smooths): {@code s_t = w s_(t-1) + (1-w) y_t},
     * divided by {@code 1 - w^t} so the first points are not pulled towards zero.
     */
    static double[] smooth(double[] y, double weight) {
        double[] out = new double[y.length];
        double s = 0, correction = 1;
        for (int t = 0; t < y.length; t++) {
            s = weight * s + (1 - weight) * y[t];
            correction *= weight;
            out[t] = s / (1 - correction);
        }
        return out;
    }

    private static double largest(List<Line> lines) {
        double max = 0;
        for (Line line : lines) for (double v : line.y()) max = Math.max(max, Math.abs(v));
        return max;
    }

    private static ValueMarker bestMarker(double step) {
        return new ValueMarker(step, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
    }

    /** Logical font names, which JFreeSVG writes as CSS generic families (JFreeChart's default, Tahoma, is not everywhere). */
    private static StandardChartTheme theme() {
        StandardChartTheme theme = new StandardChartTheme("tune4j");
        theme.setExtraLargeFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        theme.setLargeFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        theme.setRegularFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        theme.setSmallFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        theme.setChartBackgroundPaint(Color.WHITE);
        theme.setPlotBackgroundPaint(Color.WHITE);
        theme.setPlotOutlinePaint(new Color(0xbbbbbb));
        theme.setDomainGridlinePaint(new Color(0xe3e3e3));
        theme.setRangeGridlinePaint(new Color(0xe3e3e3));
        return theme;
    }
}
