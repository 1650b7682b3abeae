using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// The embedded default: a whole board in process. A simulated device behind a simulated port,
/// DDR, and per partition its decoupler register, its AXI DMA and a convolution module that answers
/// whenever the device holds one there. It is the <see cref="IPhysicalMemory"/> drivers map, so
/// the same driver code runs here and on a board.
/// </summary>
public sealed class SimulatedBoard : IPhysicalMemory
{
    private readonly List<IMemoryWindow> _windows = [];
    /// <summary>One controller: an upset's report lines reach <see cref="SemOutput"/> whole and in order, whoever injects.</summary>
    private readonly Lock _sem = new();
    private List<FrameAddress>? _staticFrames;
    private readonly System.Text.StringBuilder _semCommand = new();

    /// <summary>Where the simulated board puts the SEM monitor's AXI UART Lite when the profile names a serial device (or no SEM): unused by the other simulated peripherals.</summary>
    public const ulong DefaultSemUartAddress = 0x42C00000;

    public SimulatedBoard(Board board, SimulatedBoardOptions? options = null)
    {
        options ??= new SimulatedBoardOptions();
        Board = board;
        Device = new SimulatedDevice(board);
        // A board comes up with its static design loaded (the boot image); a test may give it another.
        Device.StartWith(options.StaticDesign ?? board.StaticDesign);
        Port = new SimulatedPort(Device, options.Port ?? SimulatedPortOptions.For(board.Port), options.Faults, options.Time);
        // The other ports' simulations share the device and the fault plan; a service drives one port.
        Configfs = new SimulatedConfigfs(Device, Path.Combine(Path.GetTempPath(), "dpr-simulated-board"), options.Faults, options.Port ?? SimulatedPortOptions.Pcap);
        if (board.Hwicap is { } hwicap)
        {
            Hwicap = new SimulatedHwicap(Device, hwicap, options.Faults, realTime: options.Port?.RealTime ?? false);
            _windows.Add(Hwicap);
        }
        Sem = new SimulatedSemSource(board.Device);
        Sem.Start();
        // The SEM monitor line at register level: an AXI UART Lite where the profile puts one, else at a
        // free address (a serial device is a kernel driver in front of the same line), and DEVCFG's CTRL.
        SemUart = new SimulatedUartLite(board.Sem is { Kind: SemUartKind.AxiUartLite, UartLiteAddress: { } uart } ? uart : DefaultSemUartAddress);
        SemUart.Transmitted += OnSemByte;
        _windows.Add(SemUart);
        Devcfg = new SimulatedDevcfg(board.DevcfgAddress, () => Sem.State);
        _windows.Add(Devcfg);
        var memory = board.Memory ?? new MemoryRegion(0x10000000, (ulong)options.DdrBytes);
        Ddr = new InMemoryWindow(memory.Base, (long)Math.Min(memory.Size, (ulong)options.DdrBytes));
        _windows.Add(Ddr);
        var kernel = new ConvKernel(options.KernelThreads);
        foreach (var partition in board.Partitions)
        {
            SimulatedDecouplers? decouplers = null;
            if (partition.Decoupler is { } d)
            {
                var page = d.RegisterAddress & ~0xFFFul;
                decouplers = _windows.OfType<SimulatedDecouplers>().FirstOrDefault(w => w.BaseAddress == page);
                if (decouplers is null)
                {
                    _windows.Add(decouplers = new SimulatedDecouplers(page));
                }
            }
            if (partition.DmaAddress is not { } dmaAddress || partition.ModuleSpan == 0)
            {
                continue;
            }
            var dma = new SimulatedAxiDma(dmaAddress, Ddr);
            _windows.Add(dma);
            var decoupled = decouplers is null ? () => false : (Func<bool>)(() => decouplers.IsSet(partition.Decoupler!.RegisterAddress, partition.Decoupler.Mask));
            _windows.Add(new SimulatedConvModule(Device, partition, dma, decoupled, kernel, options.Throughput));
        }
    }

    public Board Board { get; }

    public SimulatedDevice Device { get; }

    public SimulatedPort Port { get; }

    public InMemoryWindow Ddr { get; }

    /// <summary>The kernel's configfs overlays, firmware directory and fpga_manager state, for the overlay port.</summary>
    public SimulatedConfigfs Configfs { get; }

    /// <summary>The AXI HWICAP of the static design, at its profile's address; null when the board has none.</summary>
    public SimulatedHwicap? Hwicap { get; }

    /// <summary>The real overlay port, over this board's configfs.</summary>
    public LinuxOverlayPort OverlayPort(TimeProvider? time = null) => new(Board, Configfs.Options, Configfs, time ?? TimeProvider.System);

    /// <summary>The real HWICAP port, over this board's registers.</summary>
    /// <exception cref="ConfigurationPortException">The board has no HWICAP (<see cref="PortFailure.Unavailable"/>).</exception>
    public HwicapPort HwicapPort(TimeProvider? time = null) => new(Board, this, time ?? TimeProvider.System, Hwicap is { } core ? core.Announce : null);

    /// <summary>The SEM controller watching the device's configuration memory.</summary>
    public SimulatedSemSource Sem { get; }

    /// <summary>Lines the SEM controller writes to its monitor interface, as a UART would deliver them.</summary>
    public event Action<IReadOnlyList<string>>? SemOutput;

    /// <summary>The AXI UART Lite the SEM controller's monitor line ends at: what dpr reads and writes (<see cref="UartLiteLink"/>).</summary>
    public SimulatedUartLite SemUart { get; }

    /// <summary>DEVCFG's CTRL register, which selects the PCAP or the ICAP.</summary>
    public SimulatedDevcfg Devcfg { get; }

    /// <summary>Fault injection: the controller writes nothing to its line and obeys no command (unplugged, unpowered, not in the static design).</summary>
    public bool SemSilent { get; set; }

    /// <summary>Fault injection: the controller ignores the idle command (it answers everything else).</summary>
    public bool SemIgnoresIdle { get; set; }

    /// <summary>
    /// A particle strike: flips a configuration bit and lets the SEM controller report it. A
    /// correctable upset is repaired in place by the controller (after its report); an
    /// uncorrectable one stays until the frames are rewritten, and the controller stops observing
    /// until <see cref="SimulatedSemSource.Resume"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The controller is not observing (it waits after an uncorrectable upset): nothing is changed.</exception>
    public void InjectUpset(FrameAddress frame, int word, int bit, bool correctable)
    {
        lock (_sem)
        {
            if (Sem.State != SemState.Observation)
            {
                throw new InvalidOperationException($"the SEM controller detects upsets only while observing; it is in {Sem.State}");
            }
            Device.InjectUpset(frame, word, bit);
            var lines = Sem.Inject(new InjectedUpset(frame, word, bit, correctable));
            if (correctable)
            {
                Device.Scrub(frame);
            }
            Emit(lines);
        }
    }

    /// <summary>
    /// A strike where fault injection aims it: in <paramref name="partition"/>, or in the static design
    /// (null: a logic frame no partition owns). The frame in the middle of the place, word 40 bit 7 of
    /// its payload: any bit would do, one fixed bit makes every run the same.
    /// </summary>
    /// <returns>The upset injected.</returns>
    /// <exception cref="InvalidOperationException">The controller is not observing, or the device has no frame map: nothing is changed.</exception>
    public InjectedUpset Strike(Partition? partition, bool correctable)
    {
        var frames = partition is null ? StaticFrames() : [.. Board.FramesOf(partition)];
        if (frames.Count == 0)
        {
            throw new InvalidOperationException($"{Board.Device.Name} has no frame map: there is no frame of {(partition is null ? "the static design" : $"partition '{partition.Name}'")} to strike");
        }
        var upset = new InjectedUpset(frames[frames.Count / 2], 40, 7, correctable);
        InjectUpset(upset.Frame, upset.Word, upset.Bit, correctable);
        return upset;
    }

    /// <summary>
    /// The command that returns the SEM controller to observation after an uncorrectable upset (PG036),
    /// once the frames were rewritten; its output goes to <see cref="SemOutput"/>. Nothing when it observes.
    /// </summary>
    public void ResumeSem()
    {
        lock (_sem)
        {
            if (Sem.State == SemState.Idle)
            {
                Emit(Sem.Resume());
            }
        }
    }

    /// <summary>A character dpr sent on the monitor line; a CR (or LF) ends a command (PG036 "Monitor Interface").</summary>
    private void OnSemByte(byte b)
    {
        lock (_sem)
        {
            if (SemSilent)
            {
                return;
            }
            if (b is not ((byte)'\r' or (byte)'\n'))
            {
                _semCommand.Append((char)b);
                return;
            }
            if (_semCommand.Length == 0)
            {
                return;
            }
            var command = _semCommand[0];
            _semCommand.Clear();
            if (command == SemController.IdleCommand && SemIgnoresIdle)
            {
                return;
            }
            Emit(Sem.Command(command));
        }
    }

    /// <summary>The controller's lines: to <see cref="SemOutput"/> and, CR LF-terminated, onto the UART's line (PG036).</summary>
    private void Emit(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }
        SemOutput?.Invoke(lines);
        if (!SemSilent)
        {
            SemUart.Deliver(System.Text.Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l + "\r\n"))));
        }
    }

    /// <summary>The logic frames (CLB_IO_CLK) that no partition owns: the static design's.</summary>
    private List<FrameAddress> StaticFrames() => _staticFrames ??=
    [
        .. from row in Board.Device.Rows
           where row.BlockType == BlockType.CLB_IO_CLK
           from column in Enumerable.Range(0, row.ColumnFrames.Count)
           from minor in Enumerable.Range(0, row.ColumnFrames[column])
           let frame = row.Address(column, minor)
           where Board.PartitionOf(frame) is null
           select frame,
    ];

    public IMemoryWindow Map(ulong address, long length) =>
        _windows.FirstOrDefault(w => address >= w.BaseAddress && address + (ulong)length <= w.BaseAddress + (ulong)w.Length)
        ?? throw new MmioException(address, $"nothing is mapped for {length} bytes there on the simulated {Board.Name}");
}
