using System.Diagnostics;

namespace Dpr.TestKit;

/// <summary>
/// Waits for what real concurrency makes true (an actor on its own thread, a port write off it, the SEM
/// controller's line polled on a timer): there is no clock to advance for those, so a test polls. The
/// limit only turns a hang into a failure naming <c>what</c>; no test asserts how long anything took.
/// </summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan within) =>
        TrueAsync(() => Task.FromResult(condition()), () => what, within);

    public static Task TrueAsync(Func<bool> condition, Func<string> what, TimeSpan within) =>
        TrueAsync(() => Task.FromResult(condition()), what, within);

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan within) =>
        TrueAsync(condition, () => what, within);

    /// <exception cref="TimeoutException">Not true within <paramref name="within"/>; the message says what was waited for.</exception>
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan within)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed >= within)
            {
                throw new TimeoutException($"not within {within.TotalSeconds:0} s: {what()}");
            }
            await Task.Delay(20);
        }
    }
}
