using System.Text.Json;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Job results under a directory (<c>./data/results</c>): the output tensor's bytes (docs/convolution.md
/// layout) and a small JSON description, written once per job id. A job that ran twice (a crash
/// between its run and its <c>JobCompleted</c>) finds its result already there and keeps the first;
/// results older than the retention are pruned.
/// </summary>
public sealed class ResultStore(string directory, TimeSpan retention)
{
    public sealed record StoredResult(Guid JobId, string Module, int[] Shape, string Output, string RanOn, DateTimeOffset At);

    /// <summary>Stores a result; false when one was already stored for the job (the first stays).</summary>
    public bool TryStore(StoredResult meta, ReadOnlySpan<byte> data)
    {
        Directory.CreateDirectory(directory);
        var final = DataPath(meta.JobId);
        if (File.Exists(final))
        {
            return false;
        }
        var temp = Path.Combine(directory, $".{meta.JobId:N}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, data.ToArray());
        File.WriteAllText(temp + ".json", JsonSerializer.Serialize(meta));
        try
        {
            // The JSON first, then the data: a result counts as stored once its data file exists.
            File.Move(temp + ".json", MetaPath(meta.JobId), overwrite: true);
            File.Move(temp, final, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(final))
        {
            File.Delete(temp);
            return false;
        }
    }

    public (StoredResult Meta, byte[] Data)? TryLoad(Guid jobId)
    {
        var data = DataPath(jobId);
        if (!File.Exists(data))
        {
            return null;
        }
        var meta = JsonSerializer.Deserialize<StoredResult>(File.ReadAllText(MetaPath(jobId)))
            ?? throw new InvalidDataException($"the description of result {jobId} is empty");
        return (meta, File.ReadAllBytes(data));
    }

    /// <summary>Deletes results stored before <paramref name="now"/> minus the retention; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }
        var pruned = 0;
        foreach (var file in Directory.GetFiles(directory, "*.bin"))
        {
            if (now - File.GetLastWriteTimeUtc(file) > retention)
            {
                File.Delete(Path.ChangeExtension(file, ".json"));
                File.Delete(file);
                pruned++;
            }
        }
        return pruned;
    }

    private string DataPath(Guid jobId) => Path.Combine(directory, $"{jobId:N}.bin");

    private string MetaPath(Guid jobId) => Path.Combine(directory, $"{jobId:N}.json");
}
