using Dpr.Actors.Jobs;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Tests.Jobs;

public sealed class ResultStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-results-{Guid.NewGuid():N}");

    private static StoredResult Meta(Guid id) => new(id, "conv3x3_int8", [1, 1, 2, 2], "requantized", "conv", DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task A_result_is_stored_once_and_the_first_one_stays()
    {
        using var store = new ResultStore(_directory, TimeSpan.FromDays(1));
        var id = Guid.NewGuid();

        Assert.True(await store.StoreAsync(Meta(id), [1, 2, 3, 4]));
        Assert.False(await store.StoreAsync(Meta(id) with { RanOn = "cpu" }, [9, 9, 9, 9]));

        var (meta, data) = store.TryLoad(id)!.Value;
        Assert.Equal([1, 2, 3, 4], data);
        Assert.Equal("conv", meta.RanOn);
        Assert.Equal([1, 1, 2, 2], meta.Shape);
        Assert.Null(store.TryLoad(Guid.NewGuid()));
    }

    [Fact]
    public async Task A_large_result_written_through_a_blob_handle_is_stored_once_and_the_first_one_stays()
    {
        using var store = new ResultStore(_directory, TimeSpan.FromDays(1));
        var id = Guid.NewGuid();
        var first = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var small = Guid.NewGuid();

        Assert.True(await store.StoreAsync(Meta(id), first));
        Assert.False(await store.StoreAsync(Meta(id) with { RanOn = "cpu" }, new byte[300_000]));
        Assert.True(await store.StoreAsync(Meta(small), [5, 6]));

        Assert.Equal(first, store.TryLoad(id)!.Value.Data);
        Assert.Equal("conv", store.TryLoad(id)!.Value.Meta.RanOn);
        Assert.Equal([5, 6], store.TryLoad(small)!.Value.Data);
    }

    [Fact]
    public async Task A_file_of_an_earlier_version_is_moved_to_the_data_last_layout_with_its_results()
    {
        Directory.CreateDirectory(_directory);
        var id = Guid.NewGuid();
        using (var old = new SqliteConnection($"Data Source={Path.Combine(_directory, "results.db")};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                CREATE TABLE results (job_id TEXT PRIMARY KEY, meta TEXT NOT NULL, data BLOB NOT NULL, stored_at INTEGER NOT NULL);
                CREATE INDEX results_stored_at ON results (stored_at);
                INSERT INTO results VALUES ($id, $meta, X'0102', 5);
                """;
            command.Parameters.AddWithValue("$id", id.ToString("N"));
            command.Parameters.AddWithValue("$meta", System.Text.Json.JsonSerializer.Serialize(Meta(id)));
            command.ExecuteNonQuery();
        }

        using var store = new ResultStore(_directory, TimeSpan.FromDays(1));

        Assert.Equal([1, 2], store.TryLoad(id)!.Value.Data);
        var large = Guid.NewGuid();
        Assert.True(await store.StoreAsync(Meta(large), new byte[200_000]));
        Assert.Equal(200_000, store.TryLoad(large)!.Value.Data.Length);
        using var check = new SqliteConnection($"Data Source={Path.Combine(_directory, "results.db")};Pooling=False");
        check.Open();
        using var columns = check.CreateCommand();
        columns.CommandText = "SELECT group_concat(name) FROM (SELECT name FROM pragma_table_info('results') ORDER BY cid)";
        Assert.Equal("job_id,meta,stored_at,data", columns.ExecuteScalar());
    }

    [Fact]
    public async Task A_result_opened_as_a_stream_reads_back_the_stored_bytes()
    {
        using var store = new ResultStore(_directory, TimeSpan.FromDays(1));
        var id = Guid.NewGuid();
        var data = Enumerable.Range(0, 1_000_000).Select(i => (byte)(i * 13)).ToArray();
        Assert.True(await store.StoreAsync(Meta(id), data));

        using (var opened = store.TryOpen(id)!)
        {
            Assert.Equal(("conv", data.Length), (opened.Meta.RanOn, (int)opened.Length));
            var read = new MemoryStream();
            await opened.Data.CopyToAsync(read, 48 * 1024);
            Assert.Equal(data, read.ToArray());
        }
        Assert.Null(store.TryOpen(Guid.NewGuid()));
    }

    [Fact]
    public async Task Results_stored_together_share_a_commit_and_survive_a_reopen()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToList();
        using (var store = new ResultStore(_directory, TimeSpan.FromDays(1)))
        {
            var stored = await Task.WhenAll(ids.Select((id, i) => store.StoreAsync(Meta(id), [(byte)i])));
            Assert.All(stored, Assert.True);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using var again = new ResultStore(_directory, TimeSpan.FromDays(1));
        Assert.Equal([unchecked((byte)999)], again.TryLoad(ids[999])!.Value.Data);
    }

    [Fact]
    public async Task Results_past_the_retention_are_pruned_only_when_their_job_is_unknown()
    {
        var time = new ManualTime { Now = DateTimeOffset.UnixEpoch.AddDays(1000) };
        using var store = new ResultStore(_directory, TimeSpan.FromHours(1), time);
        var (old, oldKnown) = (Guid.NewGuid(), Guid.NewGuid());
        await store.StoreAsync(Meta(old), [1]);
        await store.StoreAsync(Meta(oldKnown), [1]);
        time.Now += TimeSpan.FromHours(2);
        var fresh = Guid.NewGuid();
        await store.StoreAsync(Meta(fresh), [2]);

        // The intake still knows oldKnown (its job says completed: its result must be there); fresh is within the retention.
        Assert.Equal(1, store.Prune(time.Now, id => id == oldKnown));

        Assert.Null(store.TryLoad(old));
        Assert.NotNull(store.TryLoad(oldKnown));
        Assert.NotNull(store.TryLoad(fresh));
    }

    [Fact]
    public async Task Pruning_reads_a_page_at_a_time_and_deletes_every_result_no_kept_job_has()
    {
        var time = new ManualTime { Now = DateTimeOffset.UnixEpoch.AddDays(1000) };
        using var store = new ResultStore(_directory, TimeSpan.FromHours(1), time);
        var ids = Enumerable.Range(0, 2500).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(ids.Select(id => store.StoreAsync(Meta(id), [1])));
        time.Now += TimeSpan.FromHours(2);

        Assert.Equal(2499, store.Prune(time.Now, id => id == ids[1234]));

        Assert.Equal(1, store.Count());
        Assert.NotNull(store.TryLoad(ids[1234]));
    }

    [Fact]
    public async Task The_results_of_jobs_past_the_retention_are_deleted_by_id()
    {
        using var store = new ResultStore(_directory, TimeSpan.FromDays(1));
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(ids.Select(id => store.StoreAsync(Meta(id), [7])));

        Assert.Equal(2, store.Delete([ids[0], ids[2], Guid.NewGuid()]));

        Assert.Equal(1, store.Count());
        Assert.NotNull(store.TryLoad(ids[1]));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
