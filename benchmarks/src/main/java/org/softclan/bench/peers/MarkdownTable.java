package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A GitHub-flavoured Markdown table with columns padded to a common width, so that it also reads well
 * as plain text. The first column is left-aligned, the others right-aligned (they hold numbers).
 * A {@code |} inside a cell is escaped. Also where the commands' reports go ({@link #resultsDir},
 * {@link #writeResults}).
 */
public final class MarkdownTable {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    /** @param headers the column headings */
    public MarkdownTable(final String... headers) {
        if (headers.length == 0) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.headers = List.of(headers);
    }

    /**
     * Adds a row.
     *
     * @throws IllegalArgumentException unless it has one cell per column
     */
    public MarkdownTable row(final String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("row " + Arrays.toString(cells) + " has " + cells.length
                + " cells; the table has " + headers.size() + " columns");
        }
        final List<String> row = new ArrayList<>();
        for (final String c : cells) {
            row.add(escape(c));
        }
        rows.add(row);
        return this;
    }

    private static String escape(final String cell) {
        return cell == null ? "" : cell.replace("|", "\\|").replace('\n', ' ');
    }

    /** @return the table, one line per row, each ending in a newline */
    public String render() {
        final int n = headers.size();
        final int[] width = new int[n];
        for (int i = 0; i < n; i++) {
            width[i] = Math.max(3, escape(headers.get(i)).length());
            for (final List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        final StringBuilder sb = new StringBuilder();
        line(sb, headers.stream().map(MarkdownTable::escape).toList(), width);
        sb.append('|');
        for (int i = 0; i < n; i++) {
            sb.append(' ').append(i == 0 ? ":" + "-".repeat(width[i] - 1) : "-".repeat(width[i] - 1) + ":").append(" |");
        }
        sb.append('\n');
        for (final List<String> r : rows) {
            line(sb, r, width);
        }
        return sb.toString();
    }

    /**
     * @param out  the directory {@code --out} gave, or null
     * @param name the command's name
     * @return {@code out}, or else {@code bench-results/NAME-yyyyMMdd-HHmmss}
     */
    public static Path resultsDir(final Path out, final String name) {
        return out != null ? out : Paths.get("bench-results", name + "-"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
    }

    /**
     * Writes a command's report to {@code DIR/results.md} (making the directory), prints it and where it went.
     *
     * @param dir      the directory
     * @param markdown the report
     * @return the file written
     * @throws IOException if it cannot be written
     */
    public static Path writeResults(final Path dir, final String markdown) throws IOException {
        Files.createDirectories(dir);
        final Path results = dir.resolve("results.md");
        Files.writeString(results, markdown, StandardCharsets.UTF_8);
        System.out.print(markdown);
        System.out.println();
        System.out.println("wrote " + results);
        return results;
    }

    private static void line(final StringBuilder sb, final List<String> cells, final int[] width) {
        sb.append('|');
        for (int i = 0; i < cells.size(); i++) {
            final String c = cells.get(i);
            final String pad = " ".repeat(width[i] - c.length());
            sb.append(' ').append(i == 0 ? c + pad : pad + c).append(" |");
        }
        sb.append('\n');
    }
}
