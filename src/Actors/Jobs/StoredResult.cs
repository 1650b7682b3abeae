namespace Dpr.Actors.Jobs;

/// <summary>What is kept beside a result's bytes: enough to answer <c>GET /v1/jobs/{id}/result</c> without the intake.</summary>
public sealed record StoredResult(Guid JobId, string Module, int[] Shape, string Output, string RanOn, DateTimeOffset At);
