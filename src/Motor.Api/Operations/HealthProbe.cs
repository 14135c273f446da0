namespace Motor.Api.Operations;

/// <summary>
/// <c>Motor.Api healthcheck [url]</c>: the container HEALTHCHECK. The API image's base has no shell or curl, so the
/// service binary probes itself: exit 0 when the URL answers 2xx within 2 s, else one line on stderr and exit 1.
/// </summary>
public static class HealthProbe
{
    public const string Command = "healthcheck";

    private const string DefaultUrl = "http://127.0.0.1:8080/health/live";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Command;

    /// <param name="timeout">How long the answer may take (2 s: under the image's HEALTHCHECK timeout of 3 s).</param>
    public static async Task<int> RunAsync(string[] args, TimeSpan? timeout = null)
    {
        string url = args.Length > 1 ? args[1] : DefaultUrl;
        using var client = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(2) };
        try
        {
            using HttpResponseMessage response = await client.GetAsync(url);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            await Console.Error.WriteLineAsync($"healthcheck: {url} answered {(int)response.StatusCode}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or InvalidOperationException or UriFormatException)
        {
            await Console.Error.WriteLineAsync($"healthcheck: {url} did not answer: {exception.Message}");
        }

        return 1;
    }
}
