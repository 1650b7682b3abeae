using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Dpr.Host.Fleet;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// <see cref="DeadMemberDowningActor"/>: only a refused connection (no process listens on the port) counts as dead;
/// a port with a listener, even one that never accepts (a stalled process), does not. And a member whose process is
/// gone is removed although the failure detector would wait a minute before calling it unreachable.
/// </summary>
public class DeadMemberDowningTests
{
    [Fact]
    public async Task A_port_nobody_listens_on_refuses_and_a_listening_port_does_not_even_when_nothing_accepts()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            // Never Accept()ed, as in a process that is stalled: the kernel completes the handshake all the same.
            Assert.False(await DeadMemberDowningActor.RefusesAsync("127.0.0.1", port));
        }
        finally
        {
            listener.Stop();
        }
        Assert.True(await DeadMemberDowningActor.RefusesAsync("127.0.0.1", port));
    }

    [Fact]
    public async Task A_member_whose_process_is_gone_is_removed_though_the_failure_detector_would_wait_a_minute()
    {
        // Terminating the victim's actor system without its coordinated shutdown: it does not leave, its port closes,
        // as when its process is killed. Neither the failure detector nor the resolver acts within a minute.
        var config = ConfigurationFactory.ParseString(
            """
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 60s
            akka.cluster.split-brain-resolver.stable-after = 60s
            akka.coordinated-shutdown.run-by-actor-system-terminate = off
            akka.loglevel = WARNING
            """);
        using var survivor = ActorSystem.Create("dpr", config);
        using var victim = ActorSystem.Create("dpr", config);
        var cluster = Cluster.Get(survivor);
        cluster.Join(cluster.SelfAddress);
        Cluster.Get(victim).Join(cluster.SelfAddress);
        await Eventually.TrueAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, "both members up", TimeSpan.FromSeconds(60));
        survivor.ActorOf(DeadMemberDowningActor.Props(), "dead-member-downing");
        var gone = Cluster.Get(victim).SelfUniqueAddress;

        await victim.Terminate();

        await Eventually.TrueAsync(() => cluster.State.Members.All(m => m.UniqueAddress != gone), "the dead member removed", TimeSpan.FromSeconds(30));
        Assert.Equal(MemberStatus.Up, cluster.State.Members.Single().Status);
    }
}
