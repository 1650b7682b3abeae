namespace Dpr.Fabric.Mmio;

/// <summary>The board's physical address space through <c>/dev/mem</c>: one mapping per window asked for, kept until disposed.</summary>
public sealed class DevMemPhysicalMemory(string device = DevMemWindow.DefaultDevice) : IPhysicalMemory, IDisposable
{
    private readonly Dictionary<(ulong, long), DevMemWindow> _windows = [];

    public IMemoryWindow Map(ulong address, long length)
    {
        lock (_windows)
        {
            if (!_windows.TryGetValue((address, length), out var window))
            {
                _windows[(address, length)] = window = DevMemWindow.Open(address, length, device);
            }
            return window;
        }
    }

    public void Dispose()
    {
        lock (_windows)
        {
            foreach (var window in _windows.Values)
            {
                window.Dispose();
            }
            _windows.Clear();
        }
    }
}
