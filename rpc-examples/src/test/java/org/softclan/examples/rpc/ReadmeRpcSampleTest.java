package org.softclan.examples.rpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcMethod;
import org.softclan.vmmc.rpc.RpcServer;

/** The RPC sample of the README, compiled and run; the README must show exactly these lines. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadmeRpcSampleTest {
    @Test
    @SuppressWarnings("try") // the sample keeps the server open in try-with-resources, as users would
    void theSampleRuns() throws Exception {
        assertTrue(ReadmeRpcSampleTest.class.desiredAssertionStatus(), "the sample checks itself with assert (-ea)");
        // README RPC sample begins
RpcMethod<String, String> GET = RpcMethod.of(1, "get", Codecs.STRING, Codecs.STRING);
Map<String, String> store = new ConcurrentHashMap<>(Map.of("hello", "world"));

try (Fabric fabric = Fabric.createTemporary();
     RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "kv", new RpcServer.Context().workers(2))
         .handle(GET, store::get)
         .start();
     RpcClient client = RpcClient.connect(fabric.openEndpoint("client"), "kv", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
    String value = client.call(GET, "hello", 1, TimeUnit.SECONDS);                       // blocks for the answer
    CompletableFuture<String> later = client.callAsync(GET, "nobody", 1, TimeUnit.SECONDS);  // returns at once
    assert value.equals("world") && later.join() == null;
}
        // README RPC sample ends
    }

    @Test
    void theReadmeShowsTheseLines() throws IOException {
        final Path self = Paths.get("src", "test", "java", "org", "softclan", "examples", "rpc",
            "ReadmeRpcSampleTest.java");
        final List<String> source = Files.readAllLines(self);
        final String sample = source.subList(source.indexOf("        // README RPC sample begins") + 1,
            source.indexOf("        // README RPC sample ends")).stream().collect(Collectors.joining("\n"));
        final String readme = Files.readString(Paths.get("..", "README.md"));
        assertTrue(readme.contains("```java\n" + sample + "\n```"), "README.md's RPC sample differs from:\n" + sample);
    }
}
