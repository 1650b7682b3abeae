using System.Buffers.Binary;
using System.Text.Json;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Job results under a directory (<c>./data/results</c>), one file per job id, written once, in 256
/// subdirectories by the id's first byte (a directory of millions of files makes every create slow):
/// <c>ab/{id}.result</c> holds a little-endian int32 length, that many bytes of a JSON description, then
/// the output tensor's bytes (docs/convolution.md layout). It is written to a temporary name and
/// renamed, so a result exists whole or not at all. A job that ran twice (a crash between its run and
/// its <c>JobCompleted</c>) finds its result already there and keeps the first; results older than
/// the retention are pruned.
/// </summary>
public sealed class ResultStore(string directory, TimeSpan retention)
{
    private const string Extension = ".result";

    public sealed record StoredResult(Guid JobId, string Module, int[] Shape, string Output, string RanOn, DateTimeOffset At);

    /// <summary>Stores a result; false when one was already stored for the job (the first stays).</summary>
    public bool TryStore(StoredResult meta, ReadOnlySpan<byte> data)
    {
        var final = PathOf(meta.JobId);
        var shard = Path.GetDirectoryName(final)!;
        if (File.Exists(final))
        {
            return false;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(meta);
        var bytes = new byte[4 + json.Length + data.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, json.Length);
        json.CopyTo(bytes, 4);
        data.CopyTo(bytes.AsSpan(4 + json.Length));
        var temp = Path.Combine(shard, $".{meta.JobId:N}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(shard);
            File.WriteAllBytes(temp, bytes);
        }
        try
        {
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
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(PathOf(jobId));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        var length = bytes.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : -1;
        if (length < 0 || 4 + length > bytes.Length)
        {
            throw new InvalidDataException($"result {jobId}: the description's length {length} does not fit the file's {bytes.Length} bytes");
        }
        var meta = JsonSerializer.Deserialize<StoredResult>(bytes.AsSpan(4, length))
            ?? throw new InvalidDataException($"the description of result {jobId} is empty");
        return (meta, bytes[(4 + length)..]);
    }

    /// <summary>Deletes results stored before <paramref name="now"/> minus the retention; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }
        var pruned = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + Extension, SearchOption.AllDirectories))
        {
            if (now - File.GetLastWriteTimeUtc(file) > retention)
            {
                File.Delete(file);
                pruned++;
            }
        }
        return pruned;
    }

    private string PathOf(Guid jobId)
    {
        var name = jobId.ToString("N");
        return Path.Combine(directory, name[..2], name + Extension);
    }
}
