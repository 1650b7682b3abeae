using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Simulation;

/// <param name="StaticDesign">The design the PL holds at start: the board's static design when null (tests start it with a foreign one).</param>
/// <param name="Throughput">How module time is charged: null (the default) times every weight upload and pass with <see cref="RtlCycleModel"/>, our RTL's cycles; <see cref="ModuleThroughput.Paper"/> charges a pass at the paper's GOPS instead (uploads keep the RTL's cycles).</param>
/// <param name="Time">The clock of the port's modelled transfers and hangs (virtual time in tests); the system clock when null.</param>
/// <param name="DdrBytes">Simulated DDR at the board's memory base, for job buffers.</param>
public sealed record SimulatedBoardOptions(
    SimulatedPortOptions? Port = null,
    FaultPlan? Faults = null,
    ModuleThroughput? Throughput = null,
    long DdrBytes = 64 << 20,
    int KernelThreads = 0,
    string? StaticDesign = null,
    TimeProvider? Time = null);
