package org.softclan.cli;

import java.util.Random;

/**
 * The attacks of {@code vmmc soak}: at random moments (every 1 to 3.5 s, from the seed), on a random pair
 * that is working, one of: kill -9 of a worker, a region file of a worker cut to 4 KiB, a hostile peer
 * that connects to the pair's service and writes garbage into the server's receive region, a close under
 * a waiting thread inside a worker, or SIGTERM, SIGINT or SIGHUP to a worker.
 */
final class SoakAttacker implements Runnable {
    private final Soak soak;
    private final SoakLane[] lanes;
    private final Random rnd;

    SoakAttacker(final Soak soak, final SoakLane[] lanes, final Random rnd) {
        this.soak = soak;
        this.lanes = lanes;
        this.rnd = rnd;
    }

    @Override
    public void run() {
        try {
            Thread.sleep(2_000);
            while (!soak.over()) {
                Thread.sleep(1_000 + rnd.nextInt(2_500));
                final SoakLane lane = lanes[rnd.nextInt(lanes.length)];
                final SoakLane.Pair p = lane.current();
                final int attack = rnd.nextInt(8);
                final boolean onServer = rnd.nextBoolean();
                if (p == null || soak.over()) {
                    continue;
                }
                final SoakProcess target = onServer ? p.server : p.client;
                attack(lane, p, target, attack >= 5 && Soak.SIGNALS.length == 0 || attack == 1 && !soak.cutsRegions()
                    ? 0 : attack);
            }
        } catch (final InterruptedException e) {
            // the soak is over
        } catch (final Exception e) {
            soak.report.fail("attacker: " + e);
            soak.say("attacker: " + e);
        }
    }

    private void attack(final SoakLane lane, final SoakLane.Pair p, final SoakProcess target, final int attack)
        throws Exception {
        final String who = target.name() + " (pid " + target.pid() + ")";
        switch (attack) {
            case 0 -> {
                soak.report.attack("kill -9");
                soak.say(p.name + ": kill -9 " + who);
                target.kill();
            }
            case 1 -> {
                p.cut = true;
                final String what = soak.truncateRegionOf(target, rnd);
                if (what != null) {
                    soak.report.attack("region cut");
                    soak.say(p.name + ": " + what + " (a region of " + who + ")");
                }
            }
            case 2 -> {
                final String mode = SoakHostileWorker.MODES[rnd.nextInt(SoakHostileWorker.MODES.length)];
                soak.report.attack("hostile peer");
                final SoakProcess h = soak.start(p.name + " hostile " + mode, "hostile", p.service, rnd.nextLong(), mode);
                p.addOther(h);
                soak.say(p.name + ": hostile peer (pid " + h.pid() + ") connects to " + p.service + " and writes "
                    + mode + " garbage into " + p.server.name() + "'s receive region");
            }
            case 3 -> {
                // rpc: the client closes while calling; mq: either side; stream: the receiver
                final SoakProcess t = "stream".equals(lane.kind) ? p.server : "rpc".equals(lane.kind) ? p.client : target;
                soak.report.attack("close under waiter");
                soak.say(p.name + ": close under waiter inside " + t.name() + " (pid " + t.pid() + ")");
                t.send("cuw");
            }
            case 4 -> {
                // a client that arms and disarms on the server's region, killed with the table lock maybe held
                final SoakProcess a = soak.start(p.name + " armer", "armer", p.service, rnd.nextLong(), "");
                p.addOther(a);
                if (!a.awaitReady(Soak.READY_BOUND_MS)) {
                    a.kill();
                    return;
                }
                Thread.sleep(rnd.nextInt(300));
                soak.report.attack("kill -9 mid-arm");
                soak.say(p.name + ": kill -9 of an armer (pid " + a.pid() + ") while it arms and disarms tripwires"
                    + " on " + p.server.name() + "'s region; the server must drop it and go on");
                a.kill();
            }
            default -> {
                final String sig = Soak.SIGNALS[rnd.nextInt(Soak.SIGNALS.length)];
                soak.report.attack("SIG" + sig + " while working");
                soak.say(p.name + ": SIG" + sig + " to " + who + " while it works");
                target.signal(sig);
            }
        }
    }
}
