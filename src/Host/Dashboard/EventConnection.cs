using System.Threading.Channels;

namespace Dpr.Host.Dashboard;

/// <summary>
/// One open <c>GET /v1/events</c>: the live events it may see, in a bounded buffer. A client that falls
/// <see cref="Capacity"/> events behind is disconnected (and resumes from its last id) rather than
/// holding the service's memory or slowing anyone else.
/// </summary>
public sealed class EventConnection(string tenant, bool admin, string keySha256)
{
    public const int Capacity = 512;

    private readonly Channel<LiveEvent> _events = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public string Tenant { get; } = tenant;

    public bool Admin { get; } = admin;

    /// <summary>The key it signed in with: the stream ends when that key is revoked.</summary>
    public string KeySha256 { get; } = keySha256;

    public ChannelReader<LiveEvent> Events => _events.Reader;

    /// <summary>Why the stream ended on the service's side (overflow, key revoked); null while it is open.</summary>
    public string? Ended { get; private set; }

    public bool Sees(LiveEvent e) => e.Tenant is null || Admin || e.Tenant == Tenant;

    /// <summary>Queues <paramref name="e"/> if this connection may see it; ends the connection when its buffer is full.</summary>
    public void Offer(LiveEvent e)
    {
        if (Sees(e) && !_events.Writer.TryWrite(e))
        {
            End("overflow: the client fell behind; reconnect with Last-Event-ID");
        }
    }

    /// <summary>Ends the stream with a last event saying why.</summary>
    public void End(string reason, LiveEvent? last = null)
    {
        Ended ??= reason;
        if (last is not null)
        {
            _events.Writer.TryWrite(last);
        }
        _events.Writer.TryComplete();
    }
}
