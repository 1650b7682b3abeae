using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Host.Api;
using Microsoft.Data.Sqlite;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// The swap history read page by page from a real SQLite regions journal: every swap once, newest first
/// across partitions, with its reason, also when the journal's oldest events were deleted.
/// </summary>
public sealed class SwapHistoryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-swap-history-{Guid.NewGuid():N}");
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        _system = JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db")).CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        return Task.CompletedTask;
    }

    /// <summary>
    /// <paramref name="swaps"/> swaps (every fifth failed, then retried) with an upset after every third,
    /// at times that interleave with the other partition's; returns the swaps as the history must show them.
    /// </summary>
    private async Task<(IActorRef Writer, List<SwapDto> Swaps)> WriteAsync(string partition, int swaps, int offsetSeconds, string board = "b")
    {
        var writer = _system.ActorOf(Props.Create(() => new JournalWriter(RegionManagerActor.PersistenceIdFor(board, partition))));
        var events = new List<IRegionEvent>();
        var expected = new List<SwapDto>();
        var at = T0.AddSeconds(offsetSeconds);
        for (var i = 0; i < swaps; i++)
        {
            at = at.AddSeconds(3);
            var id = Guid.NewGuid();
            var module = i % 2 == 0 ? "conv3x3_int8" : "conv5x5_int16";
            var attempt = i % 5 == 4 ? 2 : 1;
            if (attempt == 2)
            {
                var failedId = Guid.NewGuid();
                events.Add(new SwapStarted(failedId, module, 1, "requested", at));
                events.Add(new SwapFailed(failedId, module, "WriteFailed", "port error", false, at));
                expected.Add(new SwapDto(partition, events.Count, failedId, module, "failed", "requested", 1, null, null, null, "WriteFailed: port error", at));
            }
            events.Add(new SwapStarted(id, module, attempt, "requested", at));
            events.Add(new SwapCompleted(id, module, 1.5, 1000, 2.5, at));
            expected.Add(new SwapDto(partition, events.Count, id, module, "completed", "requested", attempt, 1000, 1.5, 2.5, null, at));
            if (i % 3 == 2)
            {
                events.Add(new UpsetDetected(0x42, 1, 2, true, at));
            }
        }
        Assert.Equal("stored", await writer.Ask<string>(events.ToArray(), Timeout));
        return (writer, expected);
    }

    private static async Task<List<SwapPageDto>> AllPagesAsync(SwapHistory history, string? partition, int limit, string? board = null)
    {
        var pages = new List<SwapPageDto>();
        string? cursor = null;
        do
        {
            var page = await history.PageAsync(board, partition, limit, cursor, CancellationToken.None);
            pages.Add(page);
            cursor = page.Next;
            Assert.True(pages.Count < 1000, "the history does not end");
        }
        while (cursor is not null);
        return pages;
    }

    private static List<SwapDto> NewestFirst(IEnumerable<SwapDto> swaps) => [.. swaps.OrderByDescending(s => s.At).ThenByDescending(s => s.Sequence)];

    [Fact]
    public async Task Pages_hold_every_swap_once_newest_first_across_partitions()
    {
        var (_, first) = await WriteAsync("p0", 300, 0);
        var (_, second) = await WriteAsync("p1", 40, 1);
        var history = new SwapHistory(_system, ["b"], ["p0", "p1"], fleet: false);

        var pages = await AllPagesAsync(history, null, 7);

        Assert.All(pages.SkipLast(1), p => Assert.Equal(7, p.Swaps.Count));
        Assert.Equal(NewestFirst(first.Concat(second)), pages.SelectMany(p => p.Swaps).ToList());
        Assert.Equal(NewestFirst(second), (await AllPagesAsync(history, "p1", 1000)).Single().Swaps);
    }

    [Fact]
    public async Task On_a_fleet_node_pages_hold_every_boards_swaps_once_each_with_its_board_and_a_board_alone_on_request()
    {
        var (_, b0) = await WriteAsync("p0", 30, 0, board: "b-0");
        var (_, b1) = await WriteAsync("p0", 20, 1, board: "b-1");
        var history = new SwapHistory(_system, ["b-0", "b-1"], ["p0"], fleet: true);
        var expected0 = b0.Select(s => s with { Board = "b-0" }).ToList();
        var expected1 = b1.Select(s => s with { Board = "b-1" }).ToList();

        var pages = await AllPagesAsync(history, "p0", 6);

        Assert.All(pages.SkipLast(1), p => Assert.Equal(6, p.Swaps.Count));
        Assert.Equal(NewestFirst(expected0.Concat(expected1)), pages.SelectMany(p => p.Swaps).ToList());
        Assert.Equal(NewestFirst(expected1), (await AllPagesAsync(history, null, 1000, board: "b-1")).Single().Swaps);
    }

    [Fact]
    public async Task A_page_sees_swaps_stored_since_the_last_and_none_the_journal_deleted()
    {
        var (writer, swaps) = await WriteAsync("p0", 50, 0);
        var history = new SwapHistory(_system, ["b"], ["p0"], fleet: false);
        Assert.Equal(NewestFirst(swaps).Take(5), (await history.PageAsync(null, null, 5, null, CancellationToken.None)).Swaps);

        // The region manager deleted what was past the swap history; then more swaps came.
        var deletedTo = swaps[20].Sequence;
        Assert.IsType<DeleteMessagesSuccess>(await writer.Ask<object>(deletedTo, Timeout));
        var more = new SwapCompleted(Guid.NewGuid(), "conv3x3_int32", 1, 1, 1, T0.AddDays(1));
        Assert.Equal("stored", await writer.Ask<string>(new IRegionEvent[] { more }, Timeout));

        var pages = await AllPagesAsync(history, null, 4);
        var seen = pages.SelectMany(p => p.Swaps).ToList();

        Assert.Equal(more.SwapId, seen[0].SwapId);
        Assert.Equal(NewestFirst(swaps.Where(s => s.Sequence > deletedTo)), seen.Skip(1).ToList());
    }

    [Fact]
    public async Task A_partition_without_events_has_no_swaps()
    {
        var history = new SwapHistory(_system, ["b"], ["p0"], fleet: false);

        var page = await history.PageAsync(null, null, 10, null, CancellationToken.None);

        Assert.Empty(page.Swaps);
        Assert.Null(page.Next);
    }

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Writes region events to the regions journal as a region manager would, and deletes them up to a sequence number.</summary>
    private sealed class JournalWriter : ReceivePersistentActor
    {
        private IActorRef? _deleting;

        public JournalWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            JournalPluginId = JournalSettings.RegionsJournal;
            Command<IRegionEvent[]>(events =>
            {
                var sender = Sender;
                PersistAll(events, _ => { });
                DeferAsync("stored", stored => sender.Tell(stored));
            });
            Command<long>(upTo =>
            {
                _deleting = Sender;
                DeleteMessages(upTo);
            });
            Command<DeleteMessagesSuccess>(success => _deleting?.Tell(success));
            Command<DeleteMessagesFailure>(failure => _deleting?.Tell(failure));
        }

        public override string PersistenceId { get; }
    }
}
