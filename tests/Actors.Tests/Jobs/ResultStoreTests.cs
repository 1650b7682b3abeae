using Dpr.Actors.Jobs;

namespace Dpr.Actors.Tests.Jobs;

public sealed class ResultStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-results-{Guid.NewGuid():N}");

    private static ResultStore.StoredResult Meta(Guid id) => new(id, "conv3x3_int8", [1, 1, 2, 2], "requantized", "conv", DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_result_is_stored_once_and_the_first_one_stays()
    {
        var store = new ResultStore(_directory, TimeSpan.FromDays(1));
        var id = Guid.NewGuid();

        Assert.True(store.TryStore(Meta(id), [1, 2, 3, 4]));
        Assert.False(store.TryStore(Meta(id) with { RanOn = "cpu" }, [9, 9, 9, 9]));

        var (meta, data) = store.TryLoad(id)!.Value;
        Assert.Equal([1, 2, 3, 4], data);
        Assert.Equal("conv", meta.RanOn);
        Assert.Equal([1, 1, 2, 2], meta.Shape);
        Assert.Null(store.TryLoad(Guid.NewGuid()));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Results_past_the_retention_are_pruned()
    {
        var store = new ResultStore(_directory, TimeSpan.FromHours(1));
        var old = Guid.NewGuid();
        var fresh = Guid.NewGuid();
        store.TryStore(Meta(old), [1]);
        store.TryStore(Meta(fresh), [2]);
        File.SetLastWriteTimeUtc(Path.Combine(_directory, old.ToString("N")[..2], $"{old:N}.result"), DateTime.UtcNow.AddHours(-2));

        Assert.Equal(1, store.Prune(DateTimeOffset.UtcNow));

        Assert.Null(store.TryLoad(old));
        Assert.NotNull(store.TryLoad(fresh));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
