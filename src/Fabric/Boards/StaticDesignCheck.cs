using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Whether the PL holds the board's static design (<see cref="Board.StaticDesign"/>): on the simulated
/// board from what the device last had fully loaded; on a board from the fpga_manager's <c>state</c>
/// and, when the profile names one, the static design's ID register read over /dev/mem. Without an
/// ID register a configured PL is <see cref="StaticDesignStatus.Unverified"/>: the Zynq fpga_manager
/// does not say which image it loaded, so nothing is guessed.
/// </summary>
public static class StaticDesignCheck
{
    /// <summary>The simulated device: its last full image is the static design, or it is foreign (or empty).</summary>
    public static StaticDesignVerdict OnSimulated(SimulatedDevice device)
    {
        var expected = device.Board.StaticDesign;
        return device.StaticDesign switch
        {
            null => new(StaticDesignStatus.Foreign, $"the PL holds no design; board '{device.Board.Name}' needs its static design '{expected}'"),
            var held when held == expected => new(StaticDesignStatus.Verified, $"the PL holds the static design '{expected}'"),
            var held => new(StaticDesignStatus.Foreign, $"the PL holds the design '{held}', not board '{device.Board.Name}''s static design '{expected}'"),
        };
    }

    /// <summary>A board: the fpga_manager's state file, then the ID register if the profile has one.</summary>
    public static StaticDesignVerdict OnHardware(Board board, LinuxFpgaManagerOptions manager, IPhysicalMemory memory) =>
        Judge(board, KernelFiles.ReadOptional(File.ReadAllText, Path.Combine(manager.ManagerDirectory, "state")), memory);

    /// <summary>
    /// <paramref name="managerState"/> is the trimmed text of <c>/sys/class/fpga_manager/fpga0/state</c>
    /// (null when unreadable); "operating" is the kernel's word for a configured PL
    /// (Documentation/ABI/testing/sysfs-class-fpga-manager).
    /// </summary>
    public static StaticDesignVerdict Judge(Board board, string? managerState, IPhysicalMemory memory)
    {
        if (managerState is null)
        {
            return board.StaticId is null
                ? new(StaticDesignStatus.Unverified, "the fpga_manager state cannot be read and the board profile has no staticId register")
                : ReadId(board, board.StaticId, memory, "the fpga_manager state cannot be read; ");
        }
        if (managerState != "operating")
        {
            return new(StaticDesignStatus.Foreign, $"the fpga_manager state is '{managerState}', not 'operating': the PL holds no working design");
        }
        return board.StaticId is null
            ? new(StaticDesignStatus.Unverified, "the PL is configured (fpga_manager 'operating'), but the board profile has no staticId register to tell which design it holds")
            : ReadId(board, board.StaticId, memory, "");
    }

    private static StaticDesignVerdict ReadId(Board board, StaticId id, IPhysicalMemory memory, string prefix)
    {
        uint value;
        try
        {
            // The memory owns its windows (it caches them): not disposed here.
            var window = memory.Map(id.Address, sizeof(uint));
            value = window.Read32((long)(id.Address - window.BaseAddress));
        }
        catch (MmioException e)
        {
            return new(StaticDesignStatus.Foreign, $"{prefix}the static design's ID register at 0x{id.Address:X8} cannot be read: {e.Message}");
        }
        return value == id.Value
            ? new(StaticDesignStatus.Verified, $"{prefix}the static design's ID register at 0x{id.Address:X8} reads 0x{value:X8}, as board '{board.Name}' expects")
            : new(StaticDesignStatus.Foreign, $"{prefix}the static design's ID register at 0x{id.Address:X8} reads 0x{value:X8}, not 0x{id.Value:X8}: the PL holds another design");
    }
}
