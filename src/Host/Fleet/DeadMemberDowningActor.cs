using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

namespace Dpr.Host.Fleet;

/// <summary>
/// Downs a member whose process is gone, without waiting for the failure detector and the split-brain
/// resolver (docs/fleet.md, "Failures"). A process that dies (SIGKILL, a crash) closes its connections, so
/// remoting loses its association with it at once; this actor then tries a TCP connection to the member's
/// remoting port. The operating system refuses it only when no process listens there: a member that is
/// alive but stalled (a long GC pause, an overloaded host, SIGSTOP) still has its listening socket, so its
/// connection is accepted, and a host that is off or cut off does not answer at all. Only a refusal downs
/// the member (and quarantines its incarnation, so it is unreachable at once and the leader removes it); anything
/// else leaves it to the failure detector and the resolver, as before.
/// </summary>
public sealed class DeadMemberDowningActor : ReceiveActor
{
    /// <summary>How long a probe may take: a refusal on a LAN takes a round trip; silence is not a refusal.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<Address> _probing = [];

    public DeadMemberDowningActor()
    {
        Receive<DisassociatedEvent>(e => Probe(e.RemoteAddress));
        Receive<AssociationErrorEvent>(e => Probe(e.RemoteAddress));
        Receive<Probed>(OnProbed);
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new DeadMemberDowningActor());

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>An active member other than this one: one that leaves, is downed or removed is left alone.</summary>
    private Member? Active(Address address) => _cluster.State.Members.FirstOrDefault(m =>
        m.Address == address && m.Address != _cluster.SelfAddress && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining);

    private void Probe(Address address)
    {
        if (Active(address) is not { } member || address.Host is not { } host || address.Port is not { } port || !_probing.Add(address))
        {
            return;
        }
        RefusesAsync(host, port).PipeTo(Self, success: refused => new Probed(member, refused), failure: _ => new Probed(member, false));
    }

    private void OnProbed(Probed probed)
    {
        var address = probed.Member.Address;
        _probing.Remove(address);
        // Still the same incarnation: a process started again on that port is a new member with a new uid.
        if (probed.Refused && Active(address) is { } member && member.UniqueAddress == probed.Member.UniqueAddress)
        {
            _log.Warning("Downing dead member {0}: remoting lost it and its port refuses connections (no process listens there)", address);
            _cluster.Down(address);
            // Quarantining its incarnation marks it terminated (unreachable) at once, so the leader removes it without
            // waiting for the failure detector: a member that is down but still counted reachable is not removed.
            ((IRemoteActorRefProvider)((ExtendedActorSystem)Context.System).Provider).Quarantine(address, member.UniqueAddress.Uid);
        }
    }

    /// <summary>True only when the connection is refused; accepted, timed out or unreachable is false.</summary>
    internal static async Task<bool> RefusesAsync(string host, int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            return false;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed record Probed(Member Member, bool Refused);
}
