/**
 * The {@code vmmc} command line: one launcher with a subcommand per tool ({@code export},
 * {@code write}, {@code read}, {@code regions}, {@code watch}), the two halves of the RPC demo by hand
 * ({@code rpc-server}, {@code rpc-client}) and the demos ({@code demo}, {@code demo rpc}).
 * {@link org.softclan.cli.Vmmc} is the executable jar's main class.
 */
package org.softclan.cli;
