using Dpr.Actors.Jobs;
using Dpr.Actors.Journal;
using Dpr.Actors.Tests.Journal;
using Npgsql;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>
/// Results, input blobs and finished jobs in the journal's PostgreSQL database (a cluster of the test's
/// own): written once, read back by another store on the same database as another host would, pruned
/// past the retention.
/// </summary>
public sealed class PostgresJobStoresTests : IDisposable
{
    private readonly Lazy<TemporaryPostgresCluster> _cluster = new(() =>
    {
        var cluster = TemporaryPostgresCluster.Start();
        JournalSchema.EnsureCreatedAsync(cluster.Journal, CancellationToken.None).GetAwaiter().GetResult();
        return cluster;
    });

    private JournalSettings Journal => _cluster.Value.Journal;

    private static StoredResult Meta(Guid id) => new(id, "conv3x3_int8", [1, 1, 2, 2], "requantized", "conv", DateTimeOffset.UnixEpoch);

    [PostgresFact]
    public async Task A_result_is_stored_once_the_first_one_stays_and_another_host_reads_it()
    {
        using var store = new PostgresResultStore(Journal, TimeSpan.FromDays(1));
        var id = Guid.NewGuid();

        Assert.True(await store.StoreAsync(Meta(id), [1, 2, 3, 4]));
        Assert.False(await store.StoreAsync(Meta(id) with { RanOn = "cpu" }, [9, 9, 9, 9]));

        using var otherHost = new PostgresResultStore(Journal, TimeSpan.FromDays(1));
        var (meta, data) = otherHost.TryLoad(id)!.Value;
        Assert.Equal([1, 2, 3, 4], data);
        Assert.Equal("conv", meta.RanOn);
        Assert.Equal([1, 1, 2, 2], meta.Shape);
        Assert.Null(otherHost.TryLoad(Guid.NewGuid()));
    }

    [PostgresFact]
    public async Task A_result_opened_as_a_stream_by_another_host_reads_back_the_stored_bytes()
    {
        using var store = new PostgresResultStore(Journal, TimeSpan.FromDays(1));
        var id = Guid.NewGuid();
        var data = Enumerable.Range(0, 1_000_000).Select(i => (byte)(i * 13)).ToArray();
        Assert.True(await store.StoreAsync(Meta(id), data));

        using var otherHost = new PostgresResultStore(Journal, TimeSpan.FromDays(1));
        using (var opened = otherHost.TryOpen(id)!)
        {
            Assert.Equal(("conv", data.Length), (opened.Meta.RanOn, (int)opened.Length));
            var read = new MemoryStream();
            await opened.Data.CopyToAsync(read, 48 * 1024);
            Assert.Equal(data, read.ToArray());
        }
        Assert.Null(otherHost.TryOpen(Guid.NewGuid()));
    }

    [PostgresFact]
    public async Task Results_stored_together_are_all_written()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToList();
        using (var store = new PostgresResultStore(Journal, TimeSpan.FromDays(1)))
        {
            var stored = await Task.WhenAll(ids.Select((id, i) => store.StoreAsync(Meta(id), [(byte)i])));
            Assert.All(stored, Assert.True);
        }

        using var again = new PostgresResultStore(Journal, TimeSpan.FromDays(1));
        Assert.Equal([unchecked((byte)999)], again.TryLoad(ids[999])!.Value.Data);
    }

    [PostgresFact]
    public async Task Results_past_the_retention_of_jobs_no_longer_kept_are_pruned_and_deleted_by_id()
    {
        // Long before any other test's results, which must stay.
        var time = new ManualTime { Now = DateTimeOffset.UnixEpoch.AddDays(1000) };
        using var store = new PostgresResultStore(Journal, TimeSpan.FromHours(1), time);
        var (old, oldKnown, expired) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await store.StoreAsync(Meta(old), [1]);
        await store.StoreAsync(Meta(oldKnown), [1]);
        time.Now += TimeSpan.FromHours(2);
        var fresh = Guid.NewGuid();
        await store.StoreAsync(Meta(fresh), [2]);
        await store.StoreAsync(Meta(expired), [3]);

        Assert.Equal(1, store.Prune(time.Now, id => id == oldKnown));
        Assert.Equal(1, store.Delete([expired, Guid.NewGuid()]));

        Assert.Null(store.TryLoad(old));
        Assert.Null(store.TryLoad(expired));
        Assert.NotNull(store.TryLoad(oldKnown));
        Assert.NotNull(store.TryLoad(fresh));
    }

    [PostgresFact]
    public async Task Pruning_results_and_deleting_unnamed_blobs_read_a_page_at_a_time()
    {
        var time = new ManualTime { Now = DateTimeOffset.UnixEpoch.AddDays(2000) };
        using var results = new PostgresResultStore(Journal, TimeSpan.FromHours(1), time);
        var ids = Enumerable.Range(0, 2500).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(ids.Select(id => results.StoreAsync(Meta(id), [1])));
        var blobs = new PostgresBlobStore(Journal);
        var keys = Enumerable.Range(0, 2500).Select(_ => blobs.Put(Guid.NewGuid().ToByteArray())).ToList();
        time.Now += TimeSpan.FromHours(2);

        Assert.Equal(2499, results.Prune(time.Now, id => id == ids[1234]));
        Assert.Equal(2499, blobs.DeleteUnnamed(key => key == keys[1234], TimeSpan.Zero));

        Assert.NotNull(results.TryLoad(ids[1234]));
        Assert.Null(results.TryLoad(ids[0]));
        Assert.NotNull(blobs.Get(keys[1234]));
    }

    [PostgresFact]
    public void A_blob_put_within_the_grace_stays_and_one_no_job_names_goes()
    {
        var store = new PostgresBlobStore(Journal);
        var named = store.Put(Guid.NewGuid().ToByteArray());
        var unnamed = store.Put(Guid.NewGuid().ToByteArray());

        Assert.False(store.Delete(unnamed, TimeSpan.FromHours(1)));
        Assert.Equal(1, store.DeleteUnnamed(key => key != unnamed, TimeSpan.Zero));
        Assert.Throws<IOException>(() => store.Get(unnamed));
        Assert.NotNull(store.Get(named));
        Assert.True(store.Delete(named, TimeSpan.Zero));
        Assert.Throws<IOException>(() => store.Get(named));
    }

    [PostgresFact]
    public void A_blob_has_the_key_a_file_blob_would_have_and_another_host_reads_it()
    {
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-blobs-{Guid.NewGuid():N}");
        try
        {
            var key = new PostgresBlobStore(Journal).Put(data);

            Assert.Equal(new BlobStore(directory).Put(data), key);
            Assert.Equal(key, new PostgresBlobStore(Journal).Put(data));
            Assert.Equal(data, new PostgresBlobStore(Journal).Get(key));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [PostgresFact]
    public void A_missing_or_altered_blob_is_an_io_error_naming_it()
    {
        var blobs = new PostgresBlobStore(Journal);
        var key = blobs.Put([1, 2, 3]);
        using (var connection = new NpgsqlConnection(_cluster.Value.ConnectionString))
        {
            connection.Open();
            using var alter = new NpgsqlCommand("UPDATE dpr_blobs SET data = '\\x040506'::bytea WHERE key = @key", connection);
            alter.Parameters.AddWithValue("key", key);
            Assert.Equal(1, alter.ExecuteNonQuery());
        }

        Assert.Contains(key, Assert.Throws<InvalidDataException>(() => blobs.Get(key)).Message);
        var missing = new string('0', 64);
        Assert.Contains(missing, Assert.ThrowsAny<IOException>(() => blobs.Get(missing)).Message);
    }

    [PostgresFact]
    public async Task A_finished_job_is_stored_once_and_another_host_reads_it()
    {
        using var index = new PostgresJobIndex(Journal);
        await JobIndexChecks.A_record_is_stored_once_and_read_back_exactly(index);

        var job = JobIndexChecks.Finished("t1", DateTimeOffset.UnixEpoch.AddDays(3), key: "k");
        await index.StoreAsync([job]);
        using var otherHost = new PostgresJobIndex(Journal);
        Assert.Equal(job, otherHost.Find(job.JobId));
    }

    [PostgresFact]
    public async Task Finished_jobs_are_listed_newest_first_found_by_key_and_deleted_past_the_retention()
    {
        using var index = new PostgresJobIndex(Journal);

        await JobIndexChecks.A_tenants_jobs_are_listed_newest_first_by_state_and_limit(index);
        await JobIndexChecks.Idempotency_keys_are_found_per_tenant(index);
        await JobIndexChecks.Jobs_finished_before_a_horizon_come_oldest_first_and_go_with_the_blobs_they_name(index);
    }

    public void Dispose()
    {
        if (_cluster.IsValueCreated)
        {
            _cluster.Value.Dispose();
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
