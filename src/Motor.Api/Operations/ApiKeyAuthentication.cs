using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Motor.Api.Configuration;

namespace Motor.Api.Operations;

/// <summary>
/// X-Api-Key authentication for write and admin routes. The key never leaves this class: the identity carries a short
/// fingerprint (first 12 hex digits of its SHA-256), which is what rate limiting partitions by.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<MotorOptions> motorOptions,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string PolicyName = "ApiKey";
    public const string FingerprintClaim = "motor:key-fingerprint";

    private readonly byte[][] _keyHashes = [.. motorOptions.Value.ApiKeys.Where(key => !string.IsNullOrWhiteSpace(key)).Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key)))];

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out Microsoft.Extensions.Primitives.StringValues values) || string.IsNullOrEmpty(values.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(values.ToString()));
        bool valid = false;
        foreach (byte[] known in _keyHashes)
        {
            // Constant time over equal-length hashes: no timing hint about the key.
            valid |= CryptographicOperations.FixedTimeEquals(hash, known);
        }

        if (!valid)
        {
            return Task.FromResult(AuthenticateResult.Fail("the X-Api-Key header does not hold a configured API key"));
        }

        string fingerprint = Convert.ToHexStringLower(hash)[..12];
        var identity = new ClaimsIdentity([new Claim(FingerprintClaim, fingerprint), new Claim(ClaimTypes.Name, $"key-{fingerprint}")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        string detail = _keyHashes.Length == 0
            ? $"this route needs an API key in the {HeaderName} header, and none is configured on the server (Motor:ApiKeys)"
            : Request.Headers.ContainsKey(HeaderName)
                ? $"the {HeaderName} header does not hold a valid API key"
                : $"this route needs an API key in the {HeaderName} header";
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status401Unauthorized, Title = "API key required", Detail = detail },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Forbidden", Detail = "this API key may not use this route" },
        });
    }
}
