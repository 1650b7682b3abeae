using Dpr.Actors.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>Deleting blobs: never one a submission may be about to name, always one nothing names after the grace.</summary>
public sealed class BlobStoreTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-blobs-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_blob_put_within_the_grace_is_kept_even_when_no_job_names_it()
    {
        var store = new BlobStore(_directory, _time);
        var key = store.Put([1, 2, 3]);

        Assert.False(store.Delete(key, Grace));
        Assert.Equal(0, store.DeleteUnnamed(_ => false, Grace));
        Assert.True(store.Contains(key));

        _time.Advance(Grace);
        Assert.True(store.Delete(key, Grace));
        Assert.False(store.Contains(key));
    }

    [Fact]
    public void Putting_the_same_content_again_renews_its_grace()
    {
        var store = new BlobStore(_directory, _time);
        var key = store.Put([4, 5]);
        _time.Advance(Grace * 0.9);

        // A second submission with the same input, on its way to the journal.
        Assert.Equal(key, store.Put([4, 5]));
        _time.Advance(Grace * 0.9);

        Assert.False(store.Delete(key, Grace));
        Assert.Equal([4, 5], store.Get(key));
    }

    [Fact]
    public void A_sweep_deletes_unnamed_blobs_and_cut_off_writes_past_the_grace_and_keeps_named_ones()
    {
        var store = new BlobStore(_directory, _time);
        var named = store.Put([1]);
        var refused = store.Put([2]);
        var cutOff = Path.Combine(_directory, $"{new string('f', 64)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(cutOff, [3]);
        var foreign = Path.Combine(_directory, "README");
        File.WriteAllText(foreign, "not a blob");
        _time.Advance(Grace);

        Assert.Equal(1, store.DeleteUnnamed(key => key == named, Grace));

        Assert.True(store.Contains(named));
        Assert.False(store.Contains(refused));
        Assert.False(File.Exists(cutOff));
        Assert.True(File.Exists(foreign));
        Assert.Equal(1, store.Count());
    }

    [Fact]
    public void After_a_restart_a_blob_no_recovered_job_names_is_free_to_go()
    {
        var key = new BlobStore(_directory, _time).Put([9]);

        var restarted = new BlobStore(_directory, _time);

        Assert.Equal(1, restarted.DeleteUnnamed(_ => false, Grace));
        Assert.False(restarted.Contains(key));
    }

    [Fact]
    public void An_upload_is_stored_under_the_sha_256_of_what_was_written_and_only_once_committed()
    {
        var store = new BlobStore(_directory, _time);
        var data = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 31)).ToArray();
        using var upload = store.BeginPut();
        foreach (var chunk in data.Chunk(4093))
        {
            upload.Write(chunk);
        }

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), upload.Key);
        Assert.False(store.Contains(upload.Key));
        Assert.Equal(upload.Key, upload.Commit());
        Assert.Equal(data, store.Get(upload.Key));
        // Committed is put: within the grace it stays.
        Assert.False(store.Delete(upload.Key, Grace));
    }

    [Fact]
    public void A_sweep_deletes_an_upload_a_crash_cut_off_and_keeps_one_being_written()
    {
        var store = new BlobStore(_directory, _time);
        using var writing = store.BeginPut();
        writing.Write([1, 2, 3]);
        var cutOff = Path.Combine(_directory, $"upload-{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(cutOff, [4]);

        store.DeleteUnnamed(_ => false, Grace);

        Assert.False(File.Exists(cutOff));
        Assert.True(File.Exists(writing.TemporaryPath));
        writing.Dispose();
        Assert.False(File.Exists(writing.TemporaryPath));
        Assert.Equal(0, store.Count());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
