using System.Text.Json;
using Akka.Actor;
using Dpr.Actors;
using Dpr.Actors.Jobs;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Dashboard;

/// <summary>
/// Fans what the actors store out to the open <c>GET /v1/events</c> connections. It listens to the actor
/// system only while someone is connected: with nobody watching there is no subscription and no timer,
/// so the board pays nothing. While someone watches, a one-second tick ends the streams of revoked keys
/// (the tenants' file may be changed by <c>dpr tenants</c> from outside), and sends the queue depths and the
/// board's health when they changed: the depths are asked of the intake only after a job event, the health
/// read only after a partition's event or every <see cref="HealthEvery"/> ticks (the SEM controller's line).
/// On a fleet node it also fans out the events of the fleet's boards this node hosts (their entities publish on this
/// node's event stream), each naming its board; the boards hosted elsewhere are not seen (docs/fleet.md).
/// </summary>
public sealed class LiveEventHub(ActorSystem system, DprNode node, TenantStore tenants, ILogger<LiveEventHub> log) : IDisposable
{
    /// <summary>Open streams at most per tenant and in all (429 past them).</summary>
    public const int MaxPerTenant = 8;
    public const int MaxConnections = 64;

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private const int HealthEvery = 5;

    private readonly HashSet<string> _fleetBoards = node.Options.Cluster.Enabled ? [.. node.Options.Cluster.BoardIds(node.Board.Name)] : [];
    private readonly Lock _gate = new();
    private readonly List<EventConnection> _connections = [];
    private IActorRef? _listener;
    private ITimer? _ticker;
    private string? _lastQueues;
    private string? _lastHealth;
    private int _ticking;
    private int _jobsMoved;
    private int _regionsMoved;
    private int _ticksSinceHealth;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>A new connection, receiving live events from now on; null when the limits are reached.</summary>
    public EventConnection? Connect(string tenant, bool admin, string keySha256)
    {
        lock (_gate)
        {
            if (_connections.Count >= MaxConnections || _connections.Count(c => c.Tenant == tenant) >= MaxPerTenant)
            {
                return null;
            }
            var connection = new EventConnection(tenant, admin, keySha256);
            _connections.Add(connection);
            if (_listener is null)
            {
                // Subscribed now, not when the actor starts: what is stored from here on reaches this connection.
                _listener = system.ActorOf(Props.Create(() => new Listener(this)));
                system.EventStream.Subscribe(_listener, typeof(Observed.RegionEvent));
                system.EventStream.Subscribe(_listener, typeof(Observed.JobEvent));
                _lastQueues = _lastHealth = null;
                _ticker = TimeProvider.System.CreateTimer(_ => _ = TickAsync(), null, Tick, Tick);
            }
            return connection;
        }
    }

    public void Disconnect(EventConnection connection)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            if (_connections.Count == 0 && _listener is not null)
            {
                system.EventStream.Unsubscribe(_listener);
                system.Stop(_listener);
                _listener = null;
                _ticker?.Dispose();
                _ticker = null;
            }
        }
    }

    /// <summary>The queue depths now (also the first event of each stream).</summary>
    public async Task<Dictionary<string, int>> QueuedAsync() =>
        (await node.Intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), node.Options.AskTimeout)).Queued;

    private void Broadcast(LiveEvent e)
    {
        EventConnection[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }
        foreach (var connection in connections)
        {
            connection.Offer(e);
        }
    }

    private void Observe(object message)
    {
        switch (message)
        {
            case Observed.RegionEvent { Event: { } e } region when Serves(region.Board):
                Volatile.Write(ref _regionsMoved, 1);
                Broadcast(LiveEvents.Region(region.Partition, e, region.State.SequenceNr, region.State, FleetBoard(region.Board)));
                break;
            case Observed.RegionEvent region when Serves(region.Board):
                // A region manager (re)started: its state, with no journal position of its own.
                Broadcast(LiveEvents.Of("partition", BoardEndpoints.ToDto(region.State) with { Board = FleetBoard(region.Board) }));
                break;
            case Observed.JobEvent job when Serves(job.Board):
                Volatile.Write(ref _jobsMoved, 1);
                Broadcast(LiveEvents.Job(job.Event, job.Tenant, job.Module, job.SequenceNr, FleetBoard(job.Board)));
                break;
        }
    }

    /// <summary>The node's own board, or on a fleet node one of the fleet's boards it hosts (their entities publish here).</summary>
    private bool Serves(string board) => board == node.Board.Name || FleetBoard(board) is not null;

    /// <summary><paramref name="board"/> when it is one of the fleet's boards; null otherwise (and on a single node).</summary>
    private string? FleetBoard(string board) => _fleetBoards.Contains(board) ? board : null;

    /// <summary>Queue depths and health when changed; streams of revoked keys ended. One tick at a time.</summary>
    private async Task TickAsync()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }
        try
        {
            EventConnection[] connections;
            lock (_gate)
            {
                connections = [.. _connections];
            }
            foreach (var connection in connections.Where(c => !KeyValid(c)))
            {
                connection.End("key revoked", LiveEvents.Of("signed-out", new { reason = "the key was revoked" }));
            }
            if (Interlocked.Exchange(ref _jobsMoved, 0) == 1 || _lastQueues is null)
            {
                var queues = JsonSerializer.Serialize(await QueuedAsync(), ApiJson.Options);
                if (queues != _lastQueues)
                {
                    _lastQueues = queues;
                    Broadcast(new LiveEvent("queues", $"{{\"queued\":{queues},\"at\":{JsonSerializer.Serialize(DateTimeOffset.UtcNow)}}}"));
                }
            }
            // A fleet node's own board serves nothing: no health to send (GET /v1/board refuses it there too).
            if (node.Fleet is null && (Interlocked.Exchange(ref _regionsMoved, 0) == 1 || ++_ticksSinceHealth >= HealthEvery || _lastHealth is null))
            {
                _ticksSinceHealth = 0;
                var health = JsonSerializer.Serialize(await BoardHealth.ReadAsync(node, node.Options.AskTimeout), ApiJson.Options);
                if (health != _lastHealth)
                {
                    _lastHealth = health;
                    Broadcast(new LiveEvent("health", health));
                }
            }
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            log.LogDebug("Live events tick skipped: {Reason}", e.Message);
            // Asked again at the next tick.
            Volatile.Write(ref _jobsMoved, 1);
            Volatile.Write(ref _regionsMoved, 1);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private bool KeyValid(EventConnection connection) =>
        tenants.Find(connection.Tenant)?.Keys.Any(k => k.Sha256 == connection.KeySha256) == true;

    public void Dispose()
    {
        lock (_gate)
        {
            _ticker?.Dispose();
            foreach (var connection in _connections)
            {
                connection.End("service stopping");
            }
            _connections.Clear();
            if (_listener is not null)
            {
                system.EventStream.Unsubscribe(_listener);
                _listener = null;
            }
        }
    }

    /// <summary>Hands what the event stream brings to the hub, on the actor's thread.</summary>
    private sealed class Listener(LiveEventHub hub) : UntypedActor
    {
        protected override void OnReceive(object message) => hub.Observe(message);
    }
}
