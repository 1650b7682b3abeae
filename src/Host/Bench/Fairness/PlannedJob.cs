using Dpr.Host.Api;

namespace Dpr.Host.Bench.Fairness;

/// <summary>A job a scenario submits: when (from the scenario's start), as which tenant, in which role (light, heavy, a weight, mixed), what.</summary>
internal sealed record PlannedJob(TimeSpan At, string Tenant, string Role, SubmitJobDto Job);
