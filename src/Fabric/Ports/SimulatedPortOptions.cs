using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Ports;

/// <summary>
/// The timing model of the simulated configuration port: a fixed setup latency plus the image size
/// over the port's bandwidth. PCAP runs at roughly 130–145 MB/s on the Zynq-7000 (issue 3 and PYNQ
/// measurements); ICAP at 32 bits x 100 MHz = 400 MB/s. The default PCAP setup latency (0.5 ms) is
/// our assumption, chosen so that a ~150 KB partial takes the 1.6 ms the original paper measured.
/// </summary>
/// <param name="RealTime">Actually wait for the modelled time (a demo on a laptop); otherwise only report it.</param>
public sealed record SimulatedPortOptions(double BytesPerSecond, TimeSpan SetupLatency, bool RealTime = false)
{
    public static SimulatedPortOptions Pcap { get; } = new(145e6, TimeSpan.FromMilliseconds(0.5));

    public static SimulatedPortOptions Icap { get; } = new(400e6, TimeSpan.FromMilliseconds(0.05));

    public static SimulatedPortOptions For(PortKind kind) => kind == PortKind.Icap ? Icap : Pcap;

    public TimeSpan TransferTime(long bytes) => SetupLatency + TimeSpan.FromSeconds(bytes / BytesPerSecond);
}
