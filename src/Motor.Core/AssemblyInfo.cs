namespace Motor.Core;
