package org.softclan.vmmc.rpc;

/**
 * One remote operation: a numeric id (unique within a service), a name for messages, and the codecs
 * of its argument and result.
 *
 * @param id       the id sent on the wire
 * @param name     for messages
 * @param request  the argument's codec
 * @param response the result's codec
 * @param <Q>      the argument type
 * @param <R>      the result type
 */
public record RpcMethod<Q, R>(int id, String name, Codec<Q> request, Codec<R> response) {
    /**
     * Makes a method, as the canonical constructor does.
     *
     * @param id       the id sent on the wire, unique within the service
     * @param name     for messages
     * @param request  the argument's codec
     * @param response the result's codec
     * @param <Q>      the argument type
     * @param <R>      the result type
     * @return a method with these codecs
     */
    public static <Q, R> RpcMethod<Q, R> of(final int id, final String name, final Codec<Q> request,
                                            final Codec<R> response) {
        return new RpcMethod<>(id, name, request, response);
    }
}
