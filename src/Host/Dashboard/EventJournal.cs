using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Dpr.Actors.Journal;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Dpr.Host.Service;

namespace Dpr.Host.Dashboard;

/// <summary>
/// Where each source of <c>GET /v1/events</c> stands in its journal, and what it stored after a
/// position: a resumed stream reads the events it missed back from the journals (Akka.Persistence.Query),
/// so it resumes across a restart of the service too.
/// </summary>
public sealed class EventJournal(ActorSystem system, DprNode node)
{
    /// <summary>Events read back per source at most; a client further behind gets a gap and reloads.</summary>
    public const int MaxReplay = 2000;

    private readonly SqlReadJournal _regions = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalSettings.RegionsQuery);
    private readonly SqlReadJournal _jobs = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalSettings.DefaultQuery);
    private readonly IMaterializer _materializer = system.Materializer();

    private string JobsId => $"jobs-{node.Board.Name}";

    /// <summary>The highest stored sequence number of every source.</summary>
    public async Task<EventCursor> HighestAsync(TimeSpan timeout)
    {
        var persistence = Persistence.Instance.Apply(system);
        var positions = new Dictionary<string, long>
        {
            [EventCursor.Jobs] = await HighestAsync(persistence.JournalFor(null), JobsId, timeout),
        };
        foreach (var partition in node.Regions.Keys)
        {
            positions[EventCursor.Region(partition)] = await HighestAsync(persistence.JournalFor(JournalSettings.RegionsJournal), RegionManagerActor.PersistenceIdFor(node.Board.Name, partition), timeout);
        }
        return EventCursor.Of(positions);
    }

    /// <summary>A replay of nothing (from 1 to 0) answers with the journal's highest sequence number of the id.</summary>
    private static async Task<long> HighestAsync(IActorRef journal, string persistenceId, TimeSpan timeout) =>
        await journal.Ask<object>(replyTo => new ReplayMessages(1, 0, 0, persistenceId, replyTo), timeout, CancellationToken.None) switch
        {
            RecoverySuccess success => success.HighestSequenceNr,
            ReplayMessagesFailure failure => throw new InvalidOperationException($"the journal of {persistenceId} cannot be read: {failure.Cause.Message}", failure.Cause),
            var other => throw new InvalidOperationException($"unexpected journal reply {other}"),
        };

    /// <summary>
    /// The events of <paramref name="source"/> after <paramref name="after"/> up to <paramref name="upTo"/>
    /// as stream events, for <paramref name="tenant"/> (null: an admin, every job); null when they cannot
    /// all be had (deleted by a snapshot or the history's retention, or too many): the client reloads.
    /// </summary>
    public async Task<IReadOnlyList<LiveEvent>?> ReadAsync(string source, long after, long upTo, string? tenant, CancellationToken cancel)
    {
        if (upTo - after > MaxReplay || after > upTo)
        {
            return null;
        }
        if (after == upTo)
        {
            return [];
        }
        var partition = source.StartsWith("region/", StringComparison.Ordinal) ? source["region/".Length..] : null;
        var (journal, persistenceId) = partition is null ? (_jobs, JobsId) : (_regions, RegionManagerActor.PersistenceIdFor(node.Board.Name, partition));
        var envelopes = await journal.CurrentEventsByPersistenceId(persistenceId, after + 1, upTo).RunWith(Sink.Seq<EventEnvelope>(), _materializer);
        cancel.ThrowIfCancellationRequested();
        if (envelopes.Count == 0 || envelopes[0].SequenceNr != after + 1)
        {
            return null;
        }
        var events = new List<LiveEvent>();
        var owners = new Dictionary<Guid, (string Tenant, string Module)?>();
        foreach (var envelope in envelopes)
        {
            if (envelope.Event is IRegionEvent region && partition is not null)
            {
                events.Add(LiveEvents.Region(partition, region, envelope.SequenceNr, null));
            }
            else if (envelope.Event is IJobEvent job && partition is null && await OwnerAsync(job, owners) is var (owner, module) && (tenant is null || owner == tenant))
            {
                events.Add(LiveEvents.Job(job, owner, module, envelope.SequenceNr));
            }
        }
        return events;
    }

    /// <summary>The tenant and module of a job: on its acceptance, or asked of the intake and the index.</summary>
    private async Task<(string Tenant, string Module)?> OwnerAsync(IJobEvent e, Dictionary<Guid, (string Tenant, string Module)?> owners)
    {
        if (e is JobEvents.JobAccepted accepted)
        {
            return owners[e.JobId] = (accepted.Request.Tenant, accepted.Request.Module);
        }
        if (!owners.TryGetValue(e.JobId, out var owner))
        {
            owner = owners[e.JobId] = await node.FindJobAsync(e.JobId, node.Options.AskTimeout) is { } status ? (status.Tenant, status.Module) : null;
        }
        return owner;
    }
}
