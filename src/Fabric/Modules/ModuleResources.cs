namespace Dpr.Fabric.Modules;

/// <summary>FPGA resources a module uses (from synthesis), for capacity planning and display.</summary>
public sealed record ModuleResources(int Lut, int Ff, int Dsp, int Bram);
