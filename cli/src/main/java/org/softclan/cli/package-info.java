/**
 * The {@code vmmc} command line: one launcher with a subcommand per tool ({@code export},
 * {@code write}, {@code read}, {@code regions}) and, as they are built, the demos ({@code demo}).
 * {@link org.softclan.cli.Vmmc} is the executable jar's main class.
 */
package org.softclan.cli;
