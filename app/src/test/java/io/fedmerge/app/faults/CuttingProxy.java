package io.fedmerge.app.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * A loopback TCP proxy between edges and a hub that can break things at an exact byte: once the bytes it has carried
 * (both directions) reach a trip point, it runs a fault (cut every connection, kill the hub...) before it forwards
 * one more byte. The upstream port is asked for at each new connection, so edges can fail over to another replica
 * the way a load balancer would send them.
 */
final class CuttingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final IntSupplier upstream;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong carried = new AtomicLong();
    private final AtomicReference<Trip> trip = new AtomicReference<>();

    private record Trip(long atByte, Runnable fault) {}

    CuttingProxy(IntSupplier upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::accept);
    }

    String target() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Bytes carried so far, both directions. */
    long carried() {
        return carried.get();
    }

    /** Runs {@code fault} once, when the bytes carried reach {@code carried() + afterBytes}. */
    void tripAfter(long afterBytes, Runnable fault) {
        trip.set(new Trip(carried.get() + afterBytes, fault));
    }

    /** Cancels a pending trip, if any. */
    void disarm() {
        trip.set(null);
    }

    boolean tripPending() {
        return trip.get() != null;
    }

    /** Drops every open connection, as a network failure does (the peers see a reset). */
    void cutAll() {
        for (Socket s : open) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.submit(() -> connect(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        try {
            Socket hub = new Socket(InetAddress.getLoopbackAddress(), upstream.getAsInt());
            open.add(client);
            open.add(hub);
            threads.submit(() -> pump(client, hub));
            threads.submit(() -> pump(hub, client));
        } catch (IOException e) {
            close(client);
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 << 10];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                int sent = 0;
                Trip t = trip.get();
                if (t != null && carried.get() + n >= t.atByte() && trip.compareAndSet(t, null)) {
                    // forward up to the trip point, then fail: the fault lands at that exact byte
                    sent = (int) Math.max(0, t.atByte() - carried.get());
                    out.write(buf, 0, sent);
                    out.flush();
                    carried.addAndGet(sent);
                    t.fault().run();
                }
                out.write(buf, sent, n - sent);
                carried.addAndGet(n - sent);
            }
        } catch (IOException e) {
            // a cut, a killed hub or a peer that left: the other direction notices too
        } finally {
            close(from);
            close(to);
        }
    }

    private void close(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cutAll();
        threads.shutdownNow();
    }
}
