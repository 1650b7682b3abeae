using System.Data.Common;
using System.Text.Json;

namespace Dpr.Actors.Jobs;

/// <summary>What is kept beside a result's bytes: enough to answer <c>GET /v1/jobs/{id}/result</c> without the intake.</summary>
public sealed record StoredResult(Guid JobId, string Module, int[] Shape, string Output, string RanOn, DateTimeOffset At)
{
    /// <summary>The description as both result stores keep it (a JSON text column).</summary>
    internal string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The row of <c>SELECT meta, data</c> a result store's look-up read; null when it found none.</summary>
    internal static (StoredResult Meta, byte[] Data)? Read(DbDataReader reader, Guid jobId) =>
        reader.Read() ? (FromJson(reader.GetString(0), jobId), (byte[])reader.GetValue(1)) : null;

    /// <summary>The description as <see cref="ToJson"/> wrote it.</summary>
    internal static StoredResult FromJson(string json, Guid jobId) =>
        JsonSerializer.Deserialize<StoredResult>(json) ?? throw new InvalidDataException($"the description of result {jobId} is empty");
}
