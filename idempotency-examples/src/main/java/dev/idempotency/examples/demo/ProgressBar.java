package dev.idempotency.examples.demo;

import java.io.PrintStream;

/** One line on a terminal, rewritten in place: {@code [#####-----]  512/1000 actions}. */
final class ProgressBar {
  private static final int WIDTH = 40;

  private final PrintStream out;
  private final int total;
  private int shown = -1;
  private int highest;

  ProgressBar(PrintStream out, int total) {
    this.out = out;
    this.total = total;
  }

  /** Shows {@code done} of the total, when that moves the bar or the count by a percent. */
  synchronized void update(int done) {
    // Workers report as they finish, not always in order: the bar only moves forward.
    if (done <= highest) return;
    highest = done;
    int percent = (int) (100L * done / total);
    if (percent == shown && done != total) return;
    shown = percent;
    int filled = (int) ((long) WIDTH * done / total);
    out.print("\r[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] "
        + String.format("%" + Integer.toString(total).length() + "d/%d actions", done, total));
    out.flush();
  }

  /** Ends the line. */
  synchronized void finish() {
    out.println();
    out.flush();
  }
}
