using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Dpr.Actors.Audit;
using Dpr.Actors.Journal;
using Dpr.Host.Service;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Api;

/// <summary>
/// The audit trail as the service uses it: entries stored through the <see cref="AuditActor"/> (persistence
/// id <c>audit</c>, the default journal: SQLite or PostgreSQL, kept across restarts), and read a page at a time
/// with Akka.Persistence.Query like <see cref="SwapHistory"/>. Entries are never deleted, so they are numbered
/// 1 to the actor's highest sequence number without gaps: a page is the range of numbers below its cursor.
/// </summary>
public sealed class AuditLog(ActorSystem system, ActorRegistry registry, ServiceOptions options, ILogger<AuditLog> log)
{
    public const int MaxPage = 1000;

    /// <summary>How long an entry is retried while the journal refuses it: past the longest injected journal outage.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(ChaosInjector.MaxOutageSeconds + 60);

    private readonly Lazy<SqlReadJournal> _journal = new(() => PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalSettings.DefaultQuery));
    private readonly IMaterializer _materializer = system.Materializer();

    /// <summary>
    /// Stores <paramref name="entry"/>, retrying while the journal refuses it; the task ends once it is stored
    /// or given up (then the entry is in the log, as a warning, instead). Never throws. A retry after an ask
    /// that timed out may store an entry twice: an action is never left out, rarely it is listed twice.
    /// </summary>
    public Task RecordAsync(AuditEvents.ActionRecorded entry) => Task.Run(async () =>
    {
        var until = DateTime.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                await StoreAsync(entry);
                return;
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or ActorNotFoundException or MissingActorRegistryEntryException)
            {
                if (DateTime.UtcNow >= until)
                {
                    log.LogWarning("Audit entry not stored ({Reason}): {Action} of {Target} by {By} from {Source} at {At:O}: {Outcome} {Status} {Detail} {Failure}",
                        e.Message, entry.Action, entry.Target, entry.By, entry.Source, entry.At, entry.Outcome, entry.Status, entry.Detail, entry.Reason);
                    return;
                }
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    });

    /// <summary>One attempt to store <paramref name="entry"/>.</summary>
    /// <exception cref="AskTimeoutException">The journal did not take it within <c>Dpr:AskTimeoutSeconds</c>.</exception>
    public async Task StoreAsync(AuditEvents.ActionRecorded entry) =>
        await registry.Get<AuditActor>().Ask<AuditReplies.Recorded>(new AuditCommands.Record(entry), options.AskTimeout);

    /// <summary>Up to <paramref name="limit"/> entries numbered below <paramref name="before"/> (all when null), newest first.</summary>
    /// <exception cref="FormatException">The cursor is not one this trail made.</exception>
    public async Task<AuditPageDto> PageAsync(int limit, string? before, CancellationToken cancel)
    {
        var below = before is null ? long.MaxValue
            : long.TryParse(before, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
            : throw new FormatException($"bad cursor '{before}'");
        var highest = (await registry.Get<AuditActor>().Ask<AuditReplies.Highest>(new AuditCommands.GetHighest(), options.AskTimeout, cancel)).SequenceNr;
        var to = Math.Min(below - 1, highest);
        if (to < 1)
        {
            return new AuditPageDto([], null);
        }
        var from = Math.Max(1, to - limit + 1);
        var events = await _journal.Value.CurrentEventsByPersistenceId(AuditActor.Id, from, to).RunWith(Sink.Seq<EventEnvelope>(), _materializer);
        cancel.ThrowIfCancellationRequested();
        var entries = events
            .Where(e => e.Event is AuditEvents.ActionRecorded)
            .OrderByDescending(e => e.SequenceNr)
            .Select(e => (e.SequenceNr, Entry: (AuditEvents.ActionRecorded)e.Event))
            .Select(e => new AuditEntryDto(e.SequenceNr, e.Entry.At, e.Entry.By, e.Entry.Key, e.Entry.Source, e.Entry.Action, e.Entry.Target, e.Entry.Detail, e.Entry.Outcome, e.Entry.Status, e.Entry.Reason))
            .ToList();
        return new AuditPageDto(entries, from > 1 ? from.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
    }
}
