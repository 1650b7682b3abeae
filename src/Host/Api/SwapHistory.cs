using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Api;

/// <summary>
/// The recorded swaps of every partition, read from the regions journal (Akka.Persistence.Query):
/// the first request reads each partition's events, later ones only what was stored since. Pages are
/// newest first; the cursor holds, per partition, the sequence number the next page starts below.
/// </summary>
public sealed class SwapHistory(ActorSystem system, string board, IEnumerable<string> partitions)
{
    private readonly SqlReadJournal _journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalSettings.RegionsQuery);
    private readonly IMaterializer _materializer = system.Materializer();
    private readonly Dictionary<string, PartitionHistory> _partitions = partitions.ToDictionary(p => p, _ => new PartitionHistory());
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IReadOnlyCollection<string> Partitions => _partitions.Keys;

    /// <exception cref="FormatException">The cursor is not one this history made.</exception>
    public async Task<SwapPageDto> PageAsync(string? partition, int limit, string? before, CancellationToken cancel)
    {
        var cursor = Cursor.Parse(before);
        await _gate.WaitAsync(cancel);
        try
        {
            var candidates = new List<SwapDto>();
            foreach (var (name, history) in _partitions.Where(p => partition is null || p.Key == partition))
            {
                await history.CatchUpAsync(_journal, _materializer, RegionManagerActor.PersistenceIdFor(board, name), name, cancel);
                var below = cursor.GetValueOrDefault(name, long.MaxValue);
                candidates.AddRange(history.Swaps.Where(s => s.Sequence < below).OrderByDescending(s => s.Sequence).Take(limit + 1));
            }
            var page = candidates.OrderByDescending(s => s.At).ThenByDescending(s => s.Sequence).ToList();
            var taken = page.Take(limit).ToList();
            if (page.Count <= limit)
            {
                return new SwapPageDto(taken, null);
            }
            var next = new Dictionary<string, long>(cursor);
            foreach (var group in taken.GroupBy(s => s.Partition))
            {
                next[group.Key] = group.Min(s => s.Sequence);
            }
            return new SwapPageDto(taken, Cursor.Format(next));
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class PartitionHistory
    {
        private readonly Dictionary<Guid, SwapStarted> _started = [];
        private long _highest;

        public List<SwapDto> Swaps { get; } = [];

        public async Task CatchUpAsync(SqlReadJournal journal, IMaterializer materializer, string persistenceId, string partition, CancellationToken cancel)
        {
            var events = await journal.CurrentEventsByPersistenceId(persistenceId, _highest + 1, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), materializer);
            foreach (var envelope in events)
            {
                _highest = Math.Max(_highest, envelope.SequenceNr);
                switch (envelope.Event)
                {
                    case SwapStarted started:
                        _started[started.SwapId] = started;
                        break;
                    case SwapCompleted done:
                        _started.Remove(done.SwapId, out var s);
                        Swaps.Add(new SwapDto(partition, envelope.SequenceNr, done.SwapId, done.Module, "completed", s?.Reason, s?.Attempt ?? 1, done.Bytes, done.TransferMs, done.TotalMs, null, done.At));
                        break;
                    case SwapFailed failed:
                        _started.Remove(failed.SwapId, out var f);
                        Swaps.Add(new SwapDto(partition, envelope.SequenceNr, failed.SwapId, failed.Module, "failed", f?.Reason, f?.Attempt ?? 1, null, null, null, $"{failed.Failure}: {failed.Reason}", failed.At));
                        break;
                }
            }
            cancel.ThrowIfCancellationRequested();
        }
    }

    /// <summary><c>pr_0:17,pr_1:4</c>, base64url.</summary>
    private static class Cursor
    {
        public static Dictionary<string, long> Parse(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return [];
            }
            var plain = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight((text.Length + 3) / 4 * 4, '=')));
            var cursor = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var part in plain.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                // A partition once, with a sequence number the journal can have: anything else was not made here.
                if (part.Split(':') is not [var partition, var n] || !long.TryParse(n, out var sequence) || sequence < 1 || !cursor.TryAdd(partition, sequence))
                {
                    throw new FormatException($"bad cursor part '{part}'");
                }
            }
            return cursor;
        }

        public static string Format(Dictionary<string, long> cursor) =>
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Join(",", cursor.Select(c => $"{c.Key}:{c.Value}"))))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
