using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dpr.Host.Api;

// The v1 HTTP API's bodies (docs/api.md), shared by the server and the CLI's client.

/// <summary>A tensor in a request or a result: its shape and the base64 of its little-endian values.</summary>
public sealed record TensorDto(int[] Shape, string Data);

public sealed record SubmitJobDto(
    string? Module,
    TensorDto? Input,
    TensorDto? Weights,
    long[]? Bias = null,
    int Shift = 0,
    int Stride = 1,
    string Padding = "same",
    string Output = "requantized",
    int Priority = 0,
    DateTimeOffset? Deadline = null,
    bool CpuFallback = false,
    string? IdempotencyKey = null);

public sealed record SubmittedDto(Guid Id, string State, bool Duplicate);

/// <param name="WaitMs">From acceptance to the first start; null until it starts.</param>
public sealed record JobDto(
    Guid Id, string State, string Module, string? Partition, string? Error,
    DateTimeOffset? AcceptedAt = null, DateTimeOffset? StartedAt = null, DateTimeOffset? FinishedAt = null, double? WaitMs = null);

public sealed record JobListDto(IReadOnlyList<JobDto> Jobs);

public sealed record ResultDto(int[] Shape, string Data, string Precision, string RanOn);

/// <param name="Board">In a fleet, the board the partition belongs to (docs/fleet.md); null on a single node.</param>
public sealed record RegionDto(
    string Partition, string Status, string? Module, string? PendingModule, long Swaps, long FailedSwaps, string? FaultReason,
    DateTimeOffset? LastUsed, DateTimeOffset? LoadedAt, string? Board = null);

/// <summary>The answer of <c>POST /v1/board/static/load</c>: the design loaded, what the check says of the PL now, the write, and every partition (empty).</summary>
/// <param name="Check">verified, or unverified when the board profile has no <c>staticId</c> register.</param>
public sealed record StaticLoadDto(string Design, string Check, string CheckReason, long Bytes, double TransferMs, IReadOnlyList<RegionDto> Regions);

/// <param name="Placement">Which loaded module a swap evicts when several partitions could take it: lookahead, lru or fifo.</param>
public sealed record RegionListDto(IReadOnlyList<RegionDto> Regions, string Placement);

/// <summary>An injected upset (simulated board only): the partition, and the frame, word and bit flipped.</summary>
public sealed record UpsetDto(bool Correctable = false);

/// <param name="Board">On a fleet node, the board struck; null on a single node.</param>
public sealed record InjectedUpsetDto(string Partition, string Frame, int Word, int Bit, bool Correctable, string? Board = null);

public sealed record LoadDto(string? Module);

public sealed record LoadedDto(string Partition, string Module, bool Hit);

public sealed record ModuleDto(string Name, string? Alias, string Partition, int? KernelSize, string? Precision, long Bytes, string Sha256);

/// <param name="Refused">Manifests in the catalog that are not served, each with why (an unsigned module where signatures are required...).</param>
public sealed record ModuleListDto(IReadOnlyList<ModuleDto> Modules, IReadOnlyList<RefusedModuleDto>? Refused = null);

/// <param name="File">The manifest's file name in the catalog.</param>
/// <param name="Field">The manifest field at fault (<c>signature</c>, <c>sha256</c>, <c>image</c>...).</param>
public sealed record RefusedModuleDto(string File, string Field, string Reason);

/// <param name="Board">On a fleet node, the board of the partition (docs/fleet.md); null on a single node.</param>
public sealed record SwapDto(
    string Partition, long Sequence, Guid SwapId, string Module, string Outcome, string? Reason, int Attempt, long? Bytes,
    double? TransferMs, double? TotalMs, string? Failure, DateTimeOffset At, string? Board = null);

public sealed record SwapPageDto(IReadOnlyList<SwapDto> Swaps, string? Next);

public sealed record NewTenantDto(string? Name, bool Admin = false);

public sealed record TenantKeyDto(string Name, bool Admin, string Key);

public sealed record TenantDto(string Name, bool Admin, DateTimeOffset Created);

public sealed record TenantListDto(IReadOnlyList<TenantDto> Tenants);

/// <summary>
/// The JSON settings of the API: camelCase, enums as strings, nulls left out, and characters such as
/// <c>'</c> written as themselves (every body is <c>application/json</c>, never embedded in HTML).
/// </summary>
public static class ApiJson
{
    /// <summary>What the service writes and the clients read (names in any case, as System.Text.Json's web defaults read them).</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// What the service reads a request with (docs/api.md, "Request rules"): names exactly as written,
    /// each once, numbers only as JSON numbers, no unknown field, no null where a value is needed.
    /// </summary>
    public static JsonSerializerOptions Strict { get; } = MakeStrict();

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }

    private static JsonSerializerOptions MakeStrict()
    {
        var options = new JsonSerializerOptions(JsonSerializerOptions.Strict)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            NumberHandling = JsonNumberHandling.Strict,
            AllowDuplicateProperties = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
