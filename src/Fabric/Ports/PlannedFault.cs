namespace Dpr.Fabric.Ports;

/// <summary>
/// A fault a <see cref="FaultPlan"/> holds for a write that has not started yet: what goes wrong and
/// which write it hits (<see cref="Write"/>, <see cref="Module"/>, or, both null, the next write).
/// </summary>
/// <param name="HangFor">
/// For <see cref="SimulatedFault.Hang"/>: how long the write stalls before it goes on as usual; null
/// stalls until the caller's cancellation. A bounded hang is what a running service is given (a stuck
/// port must not outlive the fault injection), an unbounded one what a unit test drives by hand.
/// </param>
public sealed record PlannedFault(SimulatedFault Fault, TimeSpan? HangFor = null, int? Write = null, string? Module = null);
