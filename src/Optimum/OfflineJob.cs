namespace Dpr.Optimum;

/// <summary>One job of an offline instance: when it arrives (from the instance's start), the module it needs, how long it runs.</summary>
public sealed record OfflineJob(TimeSpan Arrival, string Module, TimeSpan Run);
